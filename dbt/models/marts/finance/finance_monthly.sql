-- Finance's figures per month and currency, through the last run day (whose month may be
-- partial): the month's flows summed from marts.finance_daily and its stocks (MRR,
-- subscriptions, receivables, DSO) at the month's last run day; the collection success
-- rate of the attempts that ended in the month; the revenue-assurance findings' value.
-- Identity (dbt/tests/finance): invoiced − credited of a month = Σ invoice totals issued
-- in it − Σ credit notes issued in it (marts.invoices, marts.credit_notes).
with

daily as (
    select
        *,
        strftime(day, '%Y-%m') as month
    from {{ ref('finance_daily') }}
),

collection as (
    select
        strftime(day, '%Y-%m') as month,
        currency,
        sum(succeeded) as attempts_succeeded,
        sum(failed) as attempts_failed,
        sum(retries_started) as retries
    from {{ ref('collection_daily') }}
    group by all
),

leakage as (
    select
        strftime(day, '%Y-%m') as month,
        currency,
        sum(amount) filter (where finding <> 'billed_while_down') as unbilled_service_amount,
        sum(amount) filter (where finding = 'billed_while_down') as billed_while_down_amount
    from {{ ref('revenue_leakage_daily') }}
    where currency is not null
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
        sum(voided) as voided,
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
),

final as (
    select
        months.*,
        month_end.mrr,
        month_end.active_subscriptions,
        month_end.receivables,
        month_end.late_receivables,
        month_end.dso_days,
        coalesce(collection.attempts_succeeded, 0) as attempts_succeeded,
        coalesce(collection.attempts_failed, 0) as attempts_failed,
        coalesce(collection.retries, 0) as retries,
        coalesce(leakage.unbilled_service_amount, 0) as unbilled_service_amount,
        coalesce(leakage.billed_while_down_amount, 0) as billed_while_down_amount
    from months
    inner join daily as month_end
        on months.currency = month_end.currency and months.last_day = month_end.day
    left join collection
        on months.month = collection.month and months.currency = collection.currency
    left join leakage on months.month = leakage.month and months.currency = leakage.currency
)

select * from final
