-- The revenue-assurance findings (marts.revenue_assurance) in money: one row per day,
-- currency, provider and finding, with the days found and their value at the daily price,
-- the monthly list price in force that day ÷ the days of its month.
--   billed_while_down     billed for a day the connection was down: the order's price;
--   up_before_activation  service given before it was billed: the order's price;
--   active_without_order  service given with no order: the price of the last order on
--                         the connection ordered by that day; when it never had one, the
--                         days are counted and not valued (amount null, provider null).
-- Rule: 3 days down in April on Monthly 60.00: 3 × 60.00 ÷ 30 = 6.00.
-- Reads var `through` through revenue_assurance (rebuilt on every new run day).
{{ config(tags=['as_of_run_day']) }}

with

findings as (
    select * from {{ ref('revenue_assurance') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

order_dates as (
    select
        order_id,
        connection_id,
        ordered_date
    from {{ ref('stg_inputs__orders') }}
),

prices as (
    select * from {{ ref('int_product_prices__ranges') }}
),

finding_days as (
    select
        findings.finding,
        findings.connection_id,
        findings.order_id,
        cast(
            unnest(generate_series(findings.first_date, findings.last_date, interval 1 day))
            as date
        ) as day
    from findings
),

-- the order each day is valued with: its own, or the connection's last one ordered by then
valued_orders as (
    select
        finding_days.*,
        order_dates.order_id as last_order_id
    from finding_days
    asof left join order_dates
        on
            finding_days.connection_id = order_dates.connection_id
            and finding_days.day >= order_dates.ordered_date
),

priced as (
    select
        valued_orders.day,
        valued_orders.finding,
        orders.currency,
        orders.provider_id,
        {{ round_div(
            'prices.monthly_price_cents',
            "datediff('day', date_trunc('month', valued_orders.day),"
            ~ " date_trunc('month', valued_orders.day) + interval 1 month)") }} as day_cents
    from valued_orders
    left join orders
        on coalesce(valued_orders.order_id, valued_orders.last_order_id) = orders.order_id
    left join prices
        on
            orders.product_id = prices.product_id
            and valued_orders.day >= prices.range_start_date
            and valued_orders.day < prices.range_end_date
),

final as (
    select
        day,
        currency,
        provider_id,
        finding,
        count(*) as days,
        {{ cents_to_money('sum(day_cents)') }} as amount
    from priced
    group by day, currency, provider_id, finding
)

select * from final
