-- Statuses and amounts as of the last run day. Drafts have no number yet: `draft_id`
-- names every invoice, drafts included (`fiberbill invoices finalize DRAFT_ID`).
-- collection_method is the customer's in force on the last run day (portal changes
-- included: int_customers__preferences).
-- payment_method is the type of the customer's usable payment method, if any.
with

standing as (
    select * from {{ ref('int_invoices__standing') }}
),

customers as (
    select * from {{ ref('stg_inputs__customers') }}
),

preferences as (
    select * from {{ ref('int_customers__preferences') }}
),

methods as (
    select * from {{ ref('int_customers__collectable') }}
    where is_collectable
),

final as (
    select
        standing.invoice_number,
        standing.customer_id,
        standing.currency,
        standing.issue_date,
        standing.due_date,
        {{ cents_to_money('standing.subtotal_cents') }} as subtotal,
        {{ cents_to_money('standing.discount_cents') }} as discount_total,
        {{ cents_to_money('standing.tax_cents') }} as tax_total,
        {{ cents_to_money('standing.total_cents') }} as total,
        {{ cents_to_money('standing.paid_cents') }} as amount_paid,
        {{ cents_to_money('standing.credited_cents') }} as amount_credited,
        {{ cents_to_money('standing.due_cents') }} as amount_due,
        standing.status,
        preferences.collection_method,
        ledger.draft_id(standing.invoice_id) as draft_id,
        standing.created_date,
        methods.payment_method_type as payment_method,
        customers.customer_name
    from standing
    inner join customers on standing.customer_id = customers.customer_id
    inner join preferences on standing.customer_id = preferences.customer_id
    left join methods on standing.customer_id = methods.customer_id
)

select * from final
