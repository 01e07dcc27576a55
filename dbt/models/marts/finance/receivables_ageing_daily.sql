-- Accounts-receivable ageing as it stood at the end of every run day, per currency, as
-- known that day (int_invoices__standing_history): what open and late invoices still owed,
-- by days past their due date on that day. One row per run day and currency with anything
-- owed. Its last day is marts.receivables_ageing summed over customers.
-- Rule: INV-1 owing 141.58, due Jan 24, unpaid: on Feb 10 it is 141.58 in past_due_1_30.
with

history as (
    select * from {{ ref('int_invoices__standing_history') }}
    where status in ('open', 'late') and due_cents > 0
),

run_days as (
    select run_date from {{ ref('stg_ledger__run_days') }}
),

aged as (
    select
        run_days.run_date as as_of_date,
        history.currency,
        history.customer_id,
        history.status,
        history.due_cents,
        run_days.run_date - history.due_date as days_past_due
    from history
    inner join run_days
        on
            history.valid_from <= run_days.run_date
            and (history.valid_to is null or history.valid_to > run_days.run_date)
),

final as (
    select
        as_of_date,
        currency,
        count(*) as invoices,
        count(distinct customer_id) as customers,
        count(*) filter (where status = 'late') as late_invoices,
        {{ cents_to_money("coalesce(sum(due_cents) filter (where status = 'late'), 0)") }}
            as late_amount,
        {{ ageing_buckets('days_past_due', 'due_cents') }}
    from aged
    group by as_of_date, currency
)

select * from final
