-- One row per order in service on the last run day (var `through`) that the operator
-- bills: its product, the monthly price in force that day, and the day service started
-- (the first active day). What a customer sees as "active services".
-- Rule: O1 activated Jan 10 on Monthly 60.00, running on Mar 31: (O1, Monthly 60, 60.00,
-- 2026-01-10).
{{ config(tags=['as_of_run_day']) }}

with

versions as (
    select * from {{ ref('int_service_versions') }}
),

intervals as (
    select * from {{ ref('int_service_intervals__by_version') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

prices as (
    select * from {{ ref('int_product_prices__ranges') }}
),

current_versions as (
    select * from versions
    where
        version_date <= date '{{ var("through") }}'
        and coalesce(next_version_date, date '9999-12-31') > date '{{ var("through") }}'
),

final as (
    select
        orders.customer_id,
        orders.order_id,
        orders.connection_id,
        orders.product_id,
        prices.product_name,
        orders.billing_cycle,
        orders.currency,
        {{ cents_to_money('prices.monthly_price_cents') }} as monthly_price,
        current_versions.first_active_date as start_date
    from current_versions
    inner join intervals
        on
            current_versions.order_id = intervals.order_id
            and current_versions.version_date = intervals.version_date
            and intervals.start_date <= date '{{ var("through") }}'
            and date '{{ var("through") }}' < intervals.end_date
    inner join orders on current_versions.order_id = orders.order_id
    inner join prices
        on
            orders.product_id = prices.product_id
            and prices.range_start_date <= date '{{ var("through") }}'
            and date '{{ var("through") }}' < prices.range_end_date
    where orders.retail_billed_by = 'operator'
)

select * from final
