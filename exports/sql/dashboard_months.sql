-- The finance dashboard's months (exports/dashboard.py), per currency, as they stood at the
-- end of run day $as_of: each month's flows from marts.finance_daily up to that day, its
-- stocks at its last run day up to that day, Stripe attempts that ended in it and the
-- revenue-assurance value of its days. The month of $as_of is to date. Rows of later days
-- are never read, so the report for a day is the same whenever it is made.
-- Reads: marts.finance_daily, marts.collection_daily, marts.revenue_leakage_daily.
with

daily as (
    select
        *,
        strftime(day, '%Y-%m') as month
    from marts.finance_daily
    where day <= $as_of
),

collection as (
    select
        strftime(day, '%Y-%m') as month,
        currency,
        sum(succeeded) as attempts_succeeded,
        sum(failed) as attempts_failed,
        sum(retries_started) as retries
    from marts.collection_daily
    where day <= $as_of
    group by all
),

leakage as (
    select
        strftime(day, '%Y-%m') as month,
        currency,
        sum(amount) as leakage_amount
    from marts.revenue_leakage_daily
    where day <= $as_of and currency is not null
    group by all
),

months as (
    select
        month,
        currency,
        max(day) as last_day,
        sum(invoices_issued) as invoices_issued,
        sum(invoiced) as invoiced,
        sum(late_fees) as late_fees,
        sum(credited) as credited,
        sum(collected_stripe) as collected_stripe,
        sum(collected_manual) as collected_manual,
        sum(credit_balance_applied) as credit_balance_applied,
        sum(refunded) as refunded,
        sum(written_off) as written_off,
        sum(invoices_due) as invoices_due,
        sum(invoices_turned_late) as invoices_turned_late,
        sum(mrr_new) as mrr_new,
        sum(mrr_expansion) as mrr_expansion,
        sum(mrr_contraction) as mrr_contraction,
        sum(mrr_churn) as mrr_churn,
        sum(mrr_reactivation) as mrr_reactivation
    from daily
    group by month, currency
)

select
    m.*,
    e.mrr,
    e.active_subscriptions,
    e.open_invoices,
    e.receivables,
    e.late_receivables,
    e.dso_days,
    coalesce(c.attempts_succeeded, 0) as attempts_succeeded,
    coalesce(c.attempts_failed, 0) as attempts_failed,
    coalesce(c.retries, 0) as retries,
    coalesce(l.leakage_amount, 0) as leakage_amount
from months as m
inner join daily as e on m.currency = e.currency and m.last_day = e.day
left join collection as c on m.month = c.month and m.currency = c.currency
left join leakage as l on m.month = l.month and m.currency = l.currency
order by m.currency, m.month
