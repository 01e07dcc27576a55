-- One row per customer and currency with charges falling due after the last run day (var
-- `through`): the day the next invoice is expected (the earliest such due day) and an
-- estimate of it: the charges due that day as the billing derivation prices them with
-- what is known now (int_charges__by_version, latest knowledge version), promotions
-- included, with tax per rate rounded once like the ledger (ledger/sql/60_invoices.sql).
-- An estimate: late news, late fees, adjustments and credit balance are not in it.
-- Rule: C1 with Monthly 60.00 (25 % tax) running on Jan 31 expects Feb 1: 60.00 + 15.00.
{{ config(tags=['as_of_run_day']) }}

with

charges as (
    select * from {{ ref('int_charges__by_version') }}
),

versions as (
    select * from {{ ref('int_service_versions') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

latest as (
    select
        charges.*,
        orders.customer_id,
        orders.currency
    from charges
    inner join versions
        on
            charges.order_id = versions.order_id
            and charges.version_date = versions.version_date
    inner join orders on charges.order_id = orders.order_id
    where
        versions.version_date <= date '{{ var("through") }}'
        and coalesce(versions.next_version_date, date '9999-12-31')
        > date '{{ var("through") }}'
        and charges.due_date > date '{{ var("through") }}'
        and charges.active_days > 0
),

next_due as (
    select
        customer_id,
        currency,
        min(due_date) as expected_date
    from latest
    group by customer_id, currency
),

per_rate as (
    select
        latest.customer_id,
        latest.currency,
        latest.tax_rate,
        sum(latest.charge_cents) as charge_cents,
        sum(latest.discount_cents) as discount_cents,
        count(*) as charges
    from latest
    inner join next_due
        on
            latest.customer_id = next_due.customer_id
            and latest.currency = next_due.currency
            and latest.due_date = next_due.expected_date
    group by latest.customer_id, latest.currency, latest.tax_rate
),

final as (
    select
        next_due.customer_id,
        next_due.currency,
        next_due.expected_date,
        sum(per_rate.charges) as charge_count,
        {{ cents_to_money('sum(per_rate.charge_cents)') }} as subtotal,
        {{ cents_to_money('sum(per_rate.discount_cents)') }} as discount_total,
        {{ cents_to_money(
            'sum(cast(round((per_rate.charge_cents - per_rate.discount_cents)'
            ~ ' * per_rate.tax_rate, 0) as bigint))') }} as tax_total,
        {{ cents_to_money(
            'sum(per_rate.charge_cents - per_rate.discount_cents'
            ~ ' + cast(round((per_rate.charge_cents - per_rate.discount_cents)'
            ~ ' * per_rate.tax_rate, 0) as bigint))') }} as total
    from next_due
    inner join per_rate
        on
            next_due.customer_id = per_rate.customer_id
            and next_due.currency = per_rate.currency
    group by next_due.customer_id, next_due.currency, next_due.expected_date
)

select * from final
