-- Statuses and amounts as of the last run day.
with

invoices as (
    select * from {{ source('ledger', 'invoices') }}
),

lines as (
    select * from {{ source('ledger', 'invoice_lines') }}
),

credit_notes as (
    select * from {{ source('ledger', 'credit_notes') }}
),

voids as (
    select * from {{ source('ledger', 'invoice_voids') }}
),

payments as (
    select * from {{ ref('int_payments__checked') }}
    where is_seen and rejection_reason is null
),

customers as (
    select * from {{ ref('stg_inputs__customers') }}
),

line_totals as (
    select
        invoice_id,
        sum(amount_cents) filter (where kind <> 'discount') as subtotal_cents,
        -sum(amount_cents) filter (where kind = 'discount') as discount_cents
    from lines
    group by invoice_id
),

credited as (
    select
        invoice_id,
        sum(amount_cents) as credited_cents
    from credit_notes
    group by invoice_id
),

applications as (
    select * from {{ source('ledger', 'balance_applications') }}
),

paid as (
    select
        invoice_id,
        sum(amount_cents) as paid_cents
    from (
        select
            invoice_id,
            amount_cents
        from payments
        union all
        select
            invoice_id,
            amount_cents
        from applications
    ) as received
    group by invoice_id
),

amounts as (
    select
        invoices.*,
        coalesce(line_totals.subtotal_cents, 0) as subtotal_cents,
        coalesce(line_totals.discount_cents, 0) as discount_cents,
        coalesce(line_totals.subtotal_cents, 0) - coalesce(line_totals.discount_cents, 0)
        + invoices.tax_cents as total_cents,
        coalesce(paid.paid_cents, 0) as paid_cents,
        coalesce(credited.credited_cents, 0) as credited_cents,
        voids.invoice_id is not null as is_void
    from invoices
    left join line_totals on invoices.invoice_id = line_totals.invoice_id
    left join credited on invoices.invoice_id = credited.invoice_id
    left join paid on invoices.invoice_id = paid.invoice_id
    left join voids on invoices.invoice_id = voids.invoice_id
),

final as (
    select
        amounts.invoice_number,
        amounts.customer_id,
        amounts.currency,
        amounts.issue_date,
        amounts.due_date,
        {{ cents_to_money('amounts.subtotal_cents') }} as subtotal,
        {{ cents_to_money('amounts.discount_cents') }} as discount_total,
        {{ cents_to_money('amounts.tax_cents') }} as tax_total,
        {{ cents_to_money('amounts.total_cents') }} as total,
        {{ cents_to_money('amounts.paid_cents') }} as amount_paid,
        {{ cents_to_money('amounts.credited_cents') }} as amount_credited,
        {{ cents_to_money(
            'case when amounts.is_void then 0 else greatest(0, amounts.total_cents'
            ~ ' - amounts.paid_cents - amounts.credited_cents) end') }} as amount_due,
        case
            when amounts.is_void then 'void'
            when amounts.invoice_number is null then 'draft'
            when amounts.paid_cents + amounts.credited_cents >= amounts.total_cents then 'paid'
            else 'open'
        end as status,
        customers.collection_method
    from amounts
    inner join customers on amounts.customer_id = customers.customer_id
)

select * from final
