-- Finance's figures per month and currency, through the last run day (whose month may be
-- partial): the row of marts.finance_month_to_date at the month's last run day, which sums
-- the month's flows and holds the stocks (MRR, subscriptions, receivables, DSO) at that
-- day, the Stripe attempts that ended in the month and the revenue-assurance value.
-- Identity (dbt/tests/finance): invoiced − credited of a month = Σ invoice totals issued
-- in it − Σ credit notes issued in it (marts.invoices, marts.credit_notes).
with

to_date as (
    select * from {{ ref('finance_month_to_date') }}
),

final as (
    select
        month,
        currency,
        day as last_day,
        invoices_issued,
        invoiced,
        late_fees,
        credited,
        voided,
        collected_stripe,
        collected_manual,
        credit_balance_applied,
        refunded,
        written_off,
        invoices_due,
        invoices_turned_late,
        mrr_new,
        mrr_expansion,
        mrr_contraction,
        mrr_churn,
        mrr_reactivation,
        mrr,
        active_subscriptions,
        receivables,
        late_receivables,
        dso_days,
        attempts_succeeded,
        attempts_failed,
        retries,
        unbilled_service_amount,
        billed_while_down_amount
    from to_date
    qualify day = max(day) over (partition by month, currency)
)

select * from final
