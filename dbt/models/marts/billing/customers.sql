-- One row per customer and invoice currency (one row with a null currency for a customer
-- without invoices), as of the last run day. Drafts count as invoices but owe nothing yet.
-- has_usable_payment_method: see int_customers__collectable. collection_method and email
-- (where documents are sent) are those in force on the last run day, portal changes
-- included (int_customers__preferences); marts.customer_history lists every change.
with

customers as (
    select * from {{ ref('stg_inputs__customers') }}
),

preferences as (
    select * from {{ ref('int_customers__preferences') }}
),

methods as (
    select * from {{ ref('int_customers__collectable') }}
),

standing as (
    select * from {{ ref('int_invoices__standing') }}
),

balance_events as (
    select * from {{ ref('stg_ledger__balance_events') }}
),

balance_applications as (
    select * from {{ ref('stg_ledger__balance_applications') }}
),

per_currency as (
    select
        customer_id,
        currency,
        count(*) filter (where status = 'open') as open_invoices,
        count(*) filter (where status = 'late') as late_invoices,
        coalesce(sum(due_cents) filter (where status in ('open', 'late')), 0)
            as outstanding_cents
    from standing
    group by customer_id, currency
),

balances as (
    select
        customer_id,
        currency,
        sum(amount_cents) as balance_cents
    from (
        select
            customer_id,
            currency,
            amount_cents
        from balance_events
        union all
        select
            customer_id,
            currency,
            -amount_cents as amount_cents
        from balance_applications
    ) as movements
    group by customer_id, currency
),

final as (
    select
        customers.customer_id,
        per_currency.currency,
        customers.customer_name as name,
        preferences.collection_method,
        coalesce(methods.is_collectable, false) as has_usable_payment_method,
        methods.payment_method_type as default_payment_method_type,
        coalesce(per_currency.open_invoices, 0) as open_invoices,
        coalesce(per_currency.late_invoices, 0) as late_invoices,
        {{ cents_to_money('coalesce(per_currency.outstanding_cents, 0)') }}
            as outstanding_amount,
        {{ cents_to_money('coalesce(balances.balance_cents, 0)') }} as credit_balance,
        case
            when per_currency.currency is null then 'no_invoices'
            when per_currency.late_invoices > 0 then 'late'
            when per_currency.outstanding_cents > 0 then 'outstanding'
            else 'current'
        end as payment_status,
        preferences.invoice_email as email,
        customers.country
    from customers
    inner join preferences on customers.customer_id = preferences.customer_id
    left join per_currency on customers.customer_id = per_currency.customer_id
    left join methods on customers.customer_id = methods.customer_id
    left join balances
        on
            per_currency.customer_id = balances.customer_id
            and per_currency.currency = balances.currency
)

select * from final
