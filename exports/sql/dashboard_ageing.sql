-- Receivables ageing over time for the finance dashboard: per currency, at the last run
-- day of each month up to $as_of, and on $as_of itself (its month's point).
-- Reads: marts.receivables_ageing_daily.
with

points as (
    select max(as_of_date) as as_of_date
    from marts.receivables_ageing_daily
    where as_of_date <= $as_of
    group by strftime(as_of_date, '%Y-%m')
)

select
    a.as_of_date,
    a.currency,
    a.invoices,
    a.customers,
    a.current_amount,
    a.past_due_1_30,
    a.past_due_31_60,
    a.past_due_61_90,
    a.past_due_over_90,
    a.total_outstanding
from marts.receivables_ageing_daily as a
where a.as_of_date in (select p.as_of_date from points as p)
order by a.currency, a.as_of_date
