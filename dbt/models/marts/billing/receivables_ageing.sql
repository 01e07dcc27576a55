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
        {{ cents_to_money('coalesce(sum(due_cents) filter (where days_past_due <= 0), 0)') }}
            as current_amount,
        {{ cents_to_money(
            'coalesce(sum(due_cents) filter (where days_past_due between 1 and 30), 0)') }}
            as past_due_1_30,
        {{ cents_to_money(
            'coalesce(sum(due_cents) filter (where days_past_due between 31 and 60), 0)') }}
            as past_due_31_60,
        {{ cents_to_money(
            'coalesce(sum(due_cents) filter (where days_past_due between 61 and 90), 0)') }}
            as past_due_61_90,
        {{ cents_to_money('coalesce(sum(due_cents) filter (where days_past_due > 90), 0)') }}
            as past_due_over_90,
        {{ cents_to_money('sum(due_cents)') }} as total_outstanding
    from aged
    group by customer_id, currency
)

select * from final
