-- Where each invoice stands as of the last run day, in integer cents: its totals, the
-- money received (manual payments, credit balance, Stripe net of refunds) and credited,
-- and its status, which is the last one in the append-only status history.
with

invoices as (
    select * from {{ source('ledger', 'invoice_documents') }}
),

lines as (
    select * from {{ source('ledger', 'invoice_lines') }}
),

credit_notes as (
    select * from {{ source('ledger', 'credit_notes') }}
),

manual_payments as (
    select * from {{ ref('int_payments__checked') }}
    where is_seen and rejection_reason is null
),

applications as (
    select * from {{ source('ledger', 'balance_applications') }}
),

collected as (
    select * from {{ source('ledger', 'collected_payments') }}
),

-- refunds Stripe did not refuse (a failed refund leaves the money with the customer's
-- credit balance instead)
refunds as (
    select * from {{ source('ledger', 'refund_status') }}
    where is_given
),

history as (
    select * from {{ source('ledger', 'invoice_status_history') }}
),

line_totals as (
    select
        invoice_id,
        coalesce(sum(amount_cents) filter (where kind <> 'discount'), 0) as subtotal_cents,
        coalesce(-sum(amount_cents) filter (where kind = 'discount'), 0) as discount_cents
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

received as (
    select
        invoice_id,
        sum(amount_cents) as paid_cents
    from (
        select
            invoice_id,
            amount_cents
        from manual_payments
        union all
        select
            invoice_id,
            amount_cents
        from applications
        union all
        select
            invoice_id,
            amount_cents
        from collected
        union all
        select
            invoice_id,
            -amount_cents as amount_cents
        from refunds
    ) as money_in
    group by invoice_id
),

latest_status as (
    select
        invoice_id,
        status,
        status_date
    from history
    qualify row_number() over (partition by invoice_id order by history_id desc) = 1
),

final as (
    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.customer_id,
        invoices.currency,
        invoices.created_date,
        invoices.issue_date,
        invoices.due_date,
        coalesce(line_totals.subtotal_cents, 0) as subtotal_cents,
        coalesce(line_totals.discount_cents, 0) as discount_cents,
        invoices.tax_cents,
        coalesce(line_totals.subtotal_cents, 0) - coalesce(line_totals.discount_cents, 0)
        + invoices.tax_cents as total_cents,
        coalesce(received.paid_cents, 0) as paid_cents,
        coalesce(credited.credited_cents, 0) as credited_cents,
        latest_status.status,
        latest_status.status_date,
        case
            when latest_status.status in ('void', 'uncollectible', 'draft') then 0
            else greatest(
                0,
                coalesce(line_totals.subtotal_cents, 0)
                - coalesce(line_totals.discount_cents, 0) + invoices.tax_cents
                - coalesce(received.paid_cents, 0) - coalesce(credited.credited_cents, 0)
            )
        end as due_cents
    from invoices
    left join line_totals on invoices.invoice_id = line_totals.invoice_id
    left join credited on invoices.invoice_id = credited.invoice_id
    left join received on invoices.invoice_id = received.invoice_id
    left join latest_status on invoices.invoice_id = latest_status.invoice_id
)

select * from final
