-- The finance dashboard's months (exports/dashboard.py), per currency, as they stood at the
-- end of run day $as_of: the row of marts.finance_month_to_date at each month's last run
-- day up to $as_of (flows summed, stocks at that day, Stripe attempts, revenue-assurance
-- value), so the month of $as_of is to date. Rows of later days are never read, so the
-- report for a day is the same whenever it is made.
-- Reads: marts.finance_month_to_date.
select
    month,
    currency,
    day as last_day,
    * exclude (month, currency, day)
from marts.finance_month_to_date
where day <= $as_of
qualify day = max(day) over (partition by month, currency)
order by currency, month
