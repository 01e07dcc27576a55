-- One row per manual payment, checked against the ledger as of the day it was received:
-- the invoice must exist (be issued) on that day and be in the same currency. The check is
-- the ledger's own (source ledger.manual_payment_checks, the rule the run days apply); a
-- payment received after the last run day is not seen yet and has no verdict.
with

checks as (
    select * from {{ ref('stg_ledger__manual_payment_checks') }}
),

run_days as (
    select max(run_date) as last_run_date from {{ ref('stg_ledger__run_days') }}
),

final as (
    select
        checks.payment_id,
        checks.invoice_number,
        checks.amount_cents,
        checks.currency,
        checks.received_at,
        checks.received_date,
        checks.payment_method,
        checks.invoice_id,
        checks.customer_id,
        case
            when checks.received_date > run_days.last_run_date then null
            else checks.rejection_reason
        end as rejection_reason,
        checks.received_date <= run_days.last_run_date as is_seen
    from checks
    cross join run_days
)

select * from final
