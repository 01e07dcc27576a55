-- Accounts-receivable ageing as of the last run day: what each customer still owes per
-- currency, by days past the due date. `current` is not yet past due.
with

standing as (
    select * from {{ ref('int_invoices__standing') }}
    where status in ('open', 'late') and due_cents > 0
),

run_days as (
    select max(run_date) as as_of_date from {{ ref('stg_ledger__run_days') }}
),

aged as (
    select
        standing.customer_id,
        standing.currency,
        standing.due_cents,
        run_days.as_of_date,
        run_days.as_of_date - standing.due_date as days_past_due
    from standing
    cross join run_days
),

final as (
    select
        customer_id,
        currency,
        any_value(as_of_date) as as_of_date,
        {{ ageing_buckets('days_past_due', 'due_cents') }}
    from aged
    group by customer_id, currency
)

select * from final
