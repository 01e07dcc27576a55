-- One row per invoice, where it stands as of the last run day, in integer cents: its
-- totals, the money received (manual payments, credit balance, Stripe net of refunds) and
-- credited, and its status, which is the last one in the append-only status history.
-- What an invoice still owes is the ledger's own rule, the macro ledger.invoice_money
-- (fiberbill/ledger/sql/01_macros.sql) that issues, charges and sets statuses on run days:
-- it reads {{ ref('stg_ledger__invoice_documents') }}, {{ ref('stg_ledger__invoice_lines') }},
-- {{ ref('stg_ledger__credit_notes') }}, {{ ref('stg_ledger__manual_payment_checks') }},
-- {{ ref('stg_ledger__balance_applications') }},
-- {{ ref('stg_ledger__collected_payments') }}, {{ ref('stg_ledger__refund_status') }},
-- {{ ref('stg_ledger__invoice_voids') }}, {{ ref('stg_ledger__invoice_writeoffs') }} and
-- {{ ref('stg_ledger__invoice_late') }}.
with

run_days as (
    select max(run_date) as last_run_date from {{ ref('stg_ledger__run_days') }}
),

owed as (
    select invoice_money.*
    from
        run_days,
        ledger.invoice_money(
            run_days.last_run_date, 'ledger.invoice_documents'
        ) as invoice_money
),

lines as (
    select * from {{ ref('stg_ledger__invoice_lines') }}
),

history as (
    select * from {{ ref('stg_ledger__invoice_status_history') }}
),

line_totals as (
    select
        invoice_id,
        coalesce(sum(amount_cents) filter (where kind <> 'discount'), 0) as subtotal_cents,
        coalesce(-sum(amount_cents) filter (where kind = 'discount'), 0) as discount_cents
    from lines
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
        owed.invoice_id,
        owed.invoice_number,
        owed.customer_id,
        owed.currency,
        owed.created_date,
        owed.issue_date,
        owed.due_date,
        coalesce(line_totals.subtotal_cents, 0) as subtotal_cents,
        coalesce(line_totals.discount_cents, 0) as discount_cents,
        owed.tax_cents,
        owed.total_cents,
        owed.received_cents as paid_cents,
        owed.credited_cents,
        latest_status.status,
        latest_status.status_date,
        {{ amount_due('latest_status.status', 'owed.owed_cents') }} as due_cents
    from owed
    left join line_totals on owed.invoice_id = line_totals.invoice_id
    left join latest_status on owed.invoice_id = latest_status.invoice_id
)

select * from final
