-- Finance's figures per run day and currency, as known at the end of that day: the day's
-- flows (what was invoiced, credited, collected, ...) and the stocks at its end
-- (receivables, MRR, subscriptions, DSO). Summing a month's flows and taking its last
-- day's stocks gives marts.finance_monthly; reading rows up to day D gives the report for
-- D, the same whenever it is made (docs/finance.md). Amounts never mix currencies.
-- Collected manual payments count on the day the ledger knew of them (a payment received
-- Jan 30 and loaded by the call whose first run day is Feb 3 counts on Feb 3).
-- DSO (days sales outstanding) = receivables at the end of the day ÷ what was invoiced in
-- the 30 days ending that day × 30; null when nothing was invoiced in those days.
with

run_days as (
    select run_date as day from {{ ref('stg_ledger__run_days') }}
),

currencies as (
    select distinct currency from {{ ref('stg_inputs__providers') }}
),

invoices as (
    select * from {{ ref('int_invoices__standing') }}
    where invoice_number is not null
),

lines as (
    select * from {{ ref('stg_ledger__invoice_lines') }}
),

credit_notes as (
    select * from {{ ref('stg_ledger__credit_notes') }}
),

voids as (
    select * from {{ ref('stg_ledger__invoice_voids') }}
),

received as (
    select * from {{ ref('stg_ledger__received_events') }}
),

status_changes as (
    select * from {{ ref('int_invoices__status_changes') }}
),

ageing as (
    select * from {{ ref('receivables_ageing_daily') }}
),

providers_daily as (
    select
        day,
        currency,
        sum(mrr_new) as mrr_new,
        sum(mrr_expansion) as mrr_expansion,
        sum(mrr_contraction) as mrr_contraction,
        sum(mrr_churn) as mrr_churn,
        sum(mrr_reactivation) as mrr_reactivation,
        sum(mrr) as mrr,
        sum(active_subscriptions) as active_subscriptions
    from {{ ref('finance_provider_daily') }}
    group by day, currency
),

-- every flow as (day, currency, measure, amount): one branch per source
flows as (
    select
        issue_date as day,
        currency,
        'invoices_issued' as measure,
        count(*) as amount
    from invoices
    group by all
    union all
    select
        issue_date as day,
        currency,
        'invoiced' as measure,
        sum(total_cents) as amount
    from invoices
    group by all
    union all
    select
        invoices.issue_date as day,
        invoices.currency,
        'late_fees' as measure,
        sum(lines.amount_cents) as amount
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    where lines.kind = 'late_fee'
    group by all
    union all
    select
        issue_date as day,
        currency,
        'credited' as measure,
        sum(amount_cents) as amount
    from credit_notes
    group by all
    union all
    select
        voids.void_date as day,
        invoices.currency,
        'voided' as measure,
        sum(invoices.total_cents) as amount
    from voids
    inner join invoices on voids.invoice_id = invoices.invoice_id
    group by all
    union all
    -- refunds are negative received money: given back is positive here
    select
        received.known_date as day,
        invoices.currency,
        received.received_source as measure,
        sum(
            case
                when received.received_source = 'refund' then -received.amount_cents
                else received.amount_cents
            end
        ) as amount
    from received
    inner join invoices on received.invoice_id = invoices.invoice_id
    group by all
    union all
    select
        change_date as day,
        currency,
        'written_off' as measure,
        sum(owed_cents) as amount
    from status_changes
    where status = 'uncollectible'
    group by all
    union all
    select
        change_date as day,
        currency,
        'invoices_turned_late' as measure,
        count(*) as amount
    from status_changes
    where status = 'late'
    group by all
    union all
    select
        due_date as day,
        currency,
        'invoices_due' as measure,
        count(*) as amount
    from invoices
    group by all
),

by_day as (
    select
        day,
        currency,
        sum(amount) filter (where measure = 'invoices_issued') as invoices_issued,
        sum(amount) filter (where measure = 'invoiced') as invoiced_cents,
        sum(amount) filter (where measure = 'late_fees') as late_fee_cents,
        sum(amount) filter (where measure = 'credited') as credited_cents,
        sum(amount) filter (where measure = 'voided') as voided_cents,
        sum(amount) filter (where measure = 'stripe') as stripe_cents,
        sum(amount) filter (where measure = 'manual') as manual_cents,
        sum(amount) filter (where measure = 'credit_balance') as credit_balance_cents,
        sum(amount) filter (where measure = 'refund') as refunded_cents,
        sum(amount) filter (where measure = 'written_off') as written_off_cents,
        sum(amount) filter (where measure = 'invoices_due') as invoices_due,
        sum(amount) filter (where measure = 'invoices_turned_late') as invoices_turned_late
    from flows
    group by day, currency
),

days as (
    select
        run_days.day,
        currencies.currency,
        coalesce(by_day.invoices_issued, 0) as invoices_issued,
        coalesce(by_day.invoiced_cents, 0) as invoiced_cents,
        coalesce(by_day.late_fee_cents, 0) as late_fee_cents,
        coalesce(by_day.credited_cents, 0) as credited_cents,
        coalesce(by_day.voided_cents, 0) as voided_cents,
        coalesce(by_day.stripe_cents, 0) as stripe_cents,
        coalesce(by_day.manual_cents, 0) as manual_cents,
        coalesce(by_day.credit_balance_cents, 0) as credit_balance_cents,
        coalesce(by_day.refunded_cents, 0) as refunded_cents,
        coalesce(by_day.written_off_cents, 0) as written_off_cents,
        coalesce(by_day.invoices_due, 0) as invoices_due,
        coalesce(by_day.invoices_turned_late, 0) as invoices_turned_late
    from run_days
    cross join currencies
    left join by_day on run_days.day = by_day.day and currencies.currency = by_day.currency
),

with_stocks as (
    select
        days.*,
        providers_daily.mrr_new,
        providers_daily.mrr_expansion,
        providers_daily.mrr_contraction,
        providers_daily.mrr_churn,
        providers_daily.mrr_reactivation,
        providers_daily.mrr,
        providers_daily.active_subscriptions,
        coalesce(ageing.invoices, 0) as open_invoices,
        coalesce(ageing.total_outstanding, 0) as receivables,
        coalesce(ageing.late_amount, 0) as late_receivables,
        sum(days.invoiced_cents) over (
            partition by days.currency order by days.day
            range between interval 29 days preceding and current row
        ) as invoiced_30_days_cents
    from days
    left join providers_daily
        on days.day = providers_daily.day and days.currency = providers_daily.currency
    left join ageing on days.day = ageing.as_of_date and days.currency = ageing.currency
),

final as (
    select
        day,
        currency,
        invoices_issued,
        {{ cents_to_money('invoiced_cents') }} as invoiced,
        {{ cents_to_money('late_fee_cents') }} as late_fees,
        {{ cents_to_money('credited_cents') }} as credited,
        {{ cents_to_money('voided_cents') }} as voided,
        {{ cents_to_money('stripe_cents') }} as collected_stripe,
        {{ cents_to_money('manual_cents') }} as collected_manual,
        {{ cents_to_money('credit_balance_cents') }} as credit_balance_applied,
        {{ cents_to_money('refunded_cents') }} as refunded,
        {{ cents_to_money('written_off_cents') }} as written_off,
        invoices_due,
        invoices_turned_late,
        coalesce(mrr_new, 0) as mrr_new,
        coalesce(mrr_expansion, 0) as mrr_expansion,
        coalesce(mrr_contraction, 0) as mrr_contraction,
        coalesce(mrr_churn, 0) as mrr_churn,
        coalesce(mrr_reactivation, 0) as mrr_reactivation,
        coalesce(mrr, 0) as mrr,
        coalesce(active_subscriptions, 0) as active_subscriptions,
        open_invoices,
        receivables,
        late_receivables,
        case
            when invoiced_30_days_cents > 0
                then cast(round(receivables * 3000 / invoiced_30_days_cents, 1) as decimal(10, 1))
        end as dso_days
    from with_stocks
)

select * from final
