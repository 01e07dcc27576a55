-- Finance's figures per run day, currency and provider, as known at the end of that day:
-- retail invoiced and credited for the provider's services (before tax, which belongs to
-- the invoice, not a provider; late fees belong to no provider), wholesale specifications
-- published to it that day, its MRR movement that day by kind, and its MRR and
-- subscriptions in service at the end of the day (operator-billed orders).
-- A customer's MRR changes are named per provider: a customer moving from provider A to B
-- is churn at A and new at B (docs/finance.md).
with

run_days as (
    select run_date as day from {{ ref('stg_ledger__run_days') }}
),

providers as (
    select * from {{ ref('stg_inputs__providers') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

invoices as (
    select * from {{ ref('int_invoices__standing') }}
    where invoice_number is not null
),

lines as (
    select * from {{ ref('stg_ledger__invoice_lines') }}
    where provider_id is not null
),

allocations as (
    select * from {{ ref('stg_ledger__credit_allocations') }}
),

specs as (
    select * from {{ ref('stg_ledger__wholesale_specs') }}
),

mrr_changes as (
    select * from {{ ref('int_customers__mrr_changes') }}
),

-- every flow as (day, provider, measure, amount): one branch per source
flows as (
    select
        invoices.issue_date as day,
        lines.provider_id,
        'retail_invoiced' as measure,
        sum(lines.amount_cents) as amount
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    group by all
    union all
    select
        allocations.run_date as day,
        orders.provider_id,
        'retail_credited' as measure,
        sum(allocations.amount_cents) as amount
    from allocations
    inner join orders on allocations.order_id = orders.order_id
    group by all
    union all
    select
        generated_on as day,
        provider_id,
        'wholesale' as measure,
        sum(total_cents) as amount
    from specs
    group by all
    union all
    select
        change_date as day,
        provider_id,
        movement as measure,
        sum(delta_cents) as amount
    from mrr_changes
    where movement is not null
    group by all
    union all
    select
        change_date as day,
        provider_id,
        'mrr_delta' as measure,
        sum(delta_cents) as amount
    from mrr_changes
    group by all
    union all
    select
        change_date as day,
        provider_id,
        'subscriptions_delta' as measure,
        sum(delta_subscriptions) as amount
    from mrr_changes
    group by all
),

by_day as (
    select
        day,
        provider_id,
        sum(amount) filter (where measure = 'retail_invoiced') as retail_invoiced_cents,
        sum(amount) filter (where measure = 'retail_credited') as retail_credited_cents,
        sum(amount) filter (where measure = 'wholesale') as wholesale_cents,
        sum(amount) filter (where measure = 'new') as new_cents,
        sum(amount) filter (where measure = 'expansion') as expansion_cents,
        sum(amount) filter (where measure = 'contraction') as contraction_cents,
        sum(amount) filter (where measure = 'churn') as churn_cents,
        sum(amount) filter (where measure = 'reactivation') as reactivation_cents,
        coalesce(sum(amount) filter (where measure = 'mrr_delta'), 0) as mrr_delta_cents,
        coalesce(sum(amount) filter (where measure = 'subscriptions_delta'), 0)
            as subscriptions_delta
    from flows
    group by day, provider_id
),

stocks as (
    select
        day,
        provider_id,
        sum(mrr_delta_cents) over (
            partition by provider_id order by day
            rows between unbounded preceding and current row
        ) as mrr_cents,
        sum(subscriptions_delta) over (
            partition by provider_id order by day
            rows between unbounded preceding and current row
        ) as subscriptions
    from by_day
),

days as (
    select
        run_days.day,
        providers.currency,
        providers.provider_id,
        providers.provider_name,
        coalesce(by_day.retail_invoiced_cents, 0) as retail_invoiced_cents,
        coalesce(by_day.retail_credited_cents, 0) as retail_credited_cents,
        coalesce(by_day.wholesale_cents, 0) as wholesale_cents,
        coalesce(by_day.new_cents, 0) as new_cents,
        coalesce(by_day.expansion_cents, 0) as expansion_cents,
        coalesce(by_day.contraction_cents, 0) as contraction_cents,
        coalesce(by_day.churn_cents, 0) as churn_cents,
        coalesce(by_day.reactivation_cents, 0) as reactivation_cents
    from run_days
    cross join providers
    left join by_day
        on run_days.day = by_day.day and providers.provider_id = by_day.provider_id
),

final as (
    select
        days.day,
        days.currency,
        days.provider_id,
        days.provider_name,
        {{ cents_to_money('days.retail_invoiced_cents') }} as retail_invoiced,
        {{ cents_to_money('days.retail_credited_cents') }} as retail_credited,
        {{ cents_to_money('days.wholesale_cents') }} as wholesale_published,
        {{ cents_to_money('days.new_cents') }} as mrr_new,
        {{ cents_to_money('days.expansion_cents') }} as mrr_expansion,
        {{ cents_to_money('days.contraction_cents') }} as mrr_contraction,
        {{ cents_to_money('days.churn_cents') }} as mrr_churn,
        {{ cents_to_money('days.reactivation_cents') }} as mrr_reactivation,
        {{ cents_to_money('coalesce(stocks.mrr_cents, 0)') }} as mrr,
        coalesce(stocks.subscriptions, 0) as active_subscriptions
    from days
    asof left join stocks
        on days.provider_id = stocks.provider_id and days.day >= stocks.day
)

select * from final
