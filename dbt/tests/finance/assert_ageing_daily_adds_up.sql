-- marts.receivables_ageing_daily is computed from changes (running sums of the days spans
-- enter and leave each bucket); marts.receivables_ageing ages each invoice on one day.
-- Returns every row where they or the daily figures disagree:
--   every day: the buckets add up to total_outstanding, and late ≤ all;
--   the last run day: the customers, each bucket and the total equal
--                     marts.receivables_ageing's (summed over its customers).
with

daily as (
    select * from {{ ref('receivables_ageing_daily') }}
),

last_day as (
    select
        currency,
        customers,
        columns('^(current_amount|past_due_.*|total_outstanding)$')
    from daily
    -- the last run day, which has no row when nothing is owed at its end
    where as_of_date = (select max(r.run_date) from {{ ref('stg_ledger__run_days') }} as r)
),

summed as (
    select
        currency,
        count(*) as customers,
        sum(columns('^(current_amount|past_due_.*|total_outstanding)$'))
    from {{ ref('receivables_ageing') }}
    group by currency
),

checks as (
    select 'buckets ' || as_of_date || ' ' || currency as figure
    from daily
    where
        total_outstanding <> (
            current_amount + past_due_1_30 + past_due_31_60 + past_due_61_90 + past_due_over_90
        )
        or late_amount > total_outstanding
        or late_invoices > invoices
        or customers > invoices
    union all
    select 'last day ' || differences.currency as figure
    from (
        (
            select * from last_day
            except
            select * from summed
        )
        union all
        (
            select * from summed
            except
            select * from last_day
        )
    ) as differences
)

select * from checks
