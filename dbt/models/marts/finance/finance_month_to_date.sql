-- Finance's figures per run day and currency, month to date: the flows of the day's month
-- summed from its first run day through the day (marts.finance_daily), the stocks at the
-- end of the day, the Stripe attempts that ended and the retries started in the month so
-- far, and the revenue-assurance value of the month's days so far. The row of a month's
-- last run day is the month (marts.finance_monthly); the dashboard of day D reads the rows
-- up to D (exports/sql/dashboard_months.sql). The one place months are summed.
-- Rule: invoiced 100.00 on Jan 10 and 50.00 on Jan 20: invoiced is 100.00 on Jan 10 to
-- Jan 19, 150.00 from Jan 20 to Jan 31, and 0.00 again on Feb 1.
with

daily as (
    select
        *,
        strftime(day, '%Y-%m') as month
    from {{ ref('finance_daily') }}
),

collection as (
    select
        day,
        currency,
        strftime(day, '%Y-%m') as month,
        sum(sum(succeeded)) over month_so_far as attempts_succeeded,
        sum(sum(failed)) over month_so_far as attempts_failed,
        sum(sum(retries_started)) over month_so_far as retries
    from {{ ref('collection_daily') }}
    group by day, currency, month
    window month_so_far as (partition by currency, month order by day rows unbounded preceding)
),

leakage as (
    select
        day,
        currency,
        strftime(day, '%Y-%m') as month,
        sum(sum(amount) filter (where finding <> 'billed_while_down')) over month_so_far
            as unbilled_service_amount,
        sum(sum(amount) filter (where finding = 'billed_while_down')) over month_so_far
            as billed_while_down_amount
    from {{ ref('revenue_leakage_daily') }}
    where currency is not null
    group by day, currency, month
    window month_so_far as (partition by currency, month order by day rows unbounded preceding)
),

to_date as (
    select
        month,
        day,
        currency,
        sum(invoices_issued) over month_so_far as invoices_issued,
        sum(invoiced) over month_so_far as invoiced,
        sum(late_fees) over month_so_far as late_fees,
        sum(credited) over month_so_far as credited,
        sum(voided) over month_so_far as voided,
        sum(collected_stripe) over month_so_far as collected_stripe,
        sum(collected_manual) over month_so_far as collected_manual,
        sum(credit_balance_applied) over month_so_far as credit_balance_applied,
        sum(refunded) over month_so_far as refunded,
        sum(written_off) over month_so_far as written_off,
        sum(invoices_due) over month_so_far as invoices_due,
        sum(invoices_turned_late) over month_so_far as invoices_turned_late,
        sum(mrr_new) over month_so_far as mrr_new,
        sum(mrr_expansion) over month_so_far as mrr_expansion,
        sum(mrr_contraction) over month_so_far as mrr_contraction,
        sum(mrr_churn) over month_so_far as mrr_churn,
        sum(mrr_reactivation) over month_so_far as mrr_reactivation,
        mrr,
        active_subscriptions,
        receivables,
        late_receivables,
        dso_days
    from daily
    window month_so_far as (partition by currency, month order by day rows unbounded preceding)
),

final as (
    select
        to_date.*,
        coalesce(collection.attempts_succeeded, 0) as attempts_succeeded,
        coalesce(collection.attempts_failed, 0) as attempts_failed,
        coalesce(collection.retries, 0) as retries,
        coalesce(leakage.unbilled_service_amount, 0) as unbilled_service_amount,
        coalesce(leakage.billed_while_down_amount, 0) as billed_while_down_amount
    from to_date
    asof left join collection
        on
            to_date.currency = collection.currency
            and to_date.month = collection.month
            and to_date.day >= collection.day
    asof left join leakage
        on
            to_date.currency = leakage.currency
            and to_date.month = leakage.month
            and to_date.day >= leakage.day
)

select * from final
