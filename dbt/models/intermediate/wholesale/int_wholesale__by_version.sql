-- One row per order, knowledge version, calendar month and kind (`recurring` or
-- `start_fee`): the wholesale amount as known in that version, in integer cents.
--   recurring = round(sum over active days d of the month of wholesale_monthly_fee(d)
--               / days in the month), with the month's first and last active day
--   start_fee = wholesale_start_fee on the first active day, in that day's month
-- Each row carries what a provider needs to check it: unit_fee_cents, the fee it applies
-- (the monthly fee of a recurring row, null when the fee changed within its days; the
-- start fee); proration, a recurring row's sum as text, each fee with its days over the
-- month's ('20.00 × 14/28 + 30.00 × 14/28'; rounded once to cents, half away from zero,
-- it is the amount); and product_name, the product's name on the row's last day.
-- Months run up to the one holding the last run day.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

intervals as (
    select * from {{ ref('int_service_intervals__by_version') }}
),

versions as (
    select * from {{ ref('int_service_versions') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

prices as (
    select * from {{ ref('int_product_prices__ranges') }}
),

horizon as (
    select
        cast(date_trunc('month', cast('{{ var("through") }}' as date)) as date)
        + interval 1 month as end_date
),

capped as (
    select
        intervals.order_id,
        intervals.version_date,
        intervals.start_date,
        least(intervals.end_date, cast(horizon.end_date as date)) as end_date
    from intervals
    cross join horizon
    where intervals.start_date < horizon.end_date
),

months as (
    select
        capped.*,
        cast(series.month_start as date) as month_start_date
    from capped,
        unnest(generate_series(
            cast(date_trunc('month', capped.start_date) as timestamp),
            cast(date_trunc('month', capped.end_date - 1) as timestamp),
            interval 1 month
        )) as series (month_start)
),

segments as (
    select
        months.order_id,
        months.version_date,
        months.month_start_date,
        coalesce(prices.wholesale_monthly_fee_cents, 0) as wholesale_monthly_fee_cents,
        prices.product_name,
        greatest(months.start_date, months.month_start_date, prices.range_start_date)
            as segment_start_date,
        least(
            months.end_date,
            cast(months.month_start_date + interval 1 month as date),
            prices.range_end_date
        ) as segment_end_date
    from months
    inner join orders on months.order_id = orders.order_id
    inner join prices
        on
            orders.product_id = prices.product_id
            and prices.range_start_date
            < least(months.end_date, cast(months.month_start_date + interval 1 month as date))
            and prices.range_end_date > greatest(months.start_date, months.month_start_date)
),

-- the days at each fee within an order's month, for the proration a provider checks
fee_days as (
    select
        order_id,
        version_date,
        month_start_date,
        wholesale_monthly_fee_cents,
        sum(segment_end_date - segment_start_date) as days_at_fee,
        min(segment_start_date) as first_date
    from segments
    where segment_start_date < segment_end_date
    group by order_id, version_date, month_start_date, wholesale_monthly_fee_cents
),

prorations as (
    select
        order_id,
        version_date,
        month_start_date,
        string_agg(
            cast({{ cents_to_money('wholesale_monthly_fee_cents') }} as varchar)
            || ' × ' || days_at_fee || '/'
            || datediff(
                'day', month_start_date, cast(month_start_date + interval 1 month as date)
            ),
            ' + ' order by first_date
        ) as proration
    from fee_days
    group by order_id, version_date, month_start_date
),

recurring as (
    select
        order_id,
        version_date,
        month_start_date,
        'recurring' as kind,
        {{ round_div(
            'sum((segment_end_date - segment_start_date) * wholesale_monthly_fee_cents)',
            'any_value(datediff(\'day\', month_start_date, '
            ~ 'cast(month_start_date + interval 1 month as date)))') }} as amount_cents,
        min(segment_start_date) as service_start_date,
        max(segment_end_date) - 1 as service_end_date,
        sum(segment_end_date - segment_start_date) as active_days,
        any_value(datediff(
            'day', month_start_date, cast(month_start_date + interval 1 month as date)
        )) as period_days,
        case
            when min(wholesale_monthly_fee_cents) = max(wholesale_monthly_fee_cents)
                then min(wholesale_monthly_fee_cents)
        end as unit_fee_cents,
        arg_max(product_name, segment_start_date) as product_name
    from segments
    where segment_start_date < segment_end_date
    group by order_id, version_date, month_start_date
),

start_fees as (
    select
        versions.order_id,
        versions.version_date,
        cast(date_trunc('month', versions.first_active_date) as date) as month_start_date,
        'start_fee' as kind,
        coalesce(prices.wholesale_start_fee_cents, 0) as amount_cents,
        versions.first_active_date as service_start_date,
        versions.first_active_date as service_end_date,
        cast(null as bigint) as active_days,
        cast(null as bigint) as period_days,
        coalesce(prices.wholesale_start_fee_cents, 0) as unit_fee_cents,
        prices.product_name
    from versions
    inner join orders on versions.order_id = orders.order_id
    inner join prices
        on
            orders.product_id = prices.product_id
            and versions.first_active_date >= prices.range_start_date
            and versions.first_active_date < prices.range_end_date
    cross join horizon
    where versions.first_active_date < horizon.end_date
),

final as (
    select
        recurring.*,
        prorations.proration
    from recurring
    left join prorations
        on
            recurring.order_id = prorations.order_id
            and recurring.version_date = prorations.version_date
            and recurring.month_start_date = prorations.month_start_date
    union all
    select
        start_fees.*,
        cast(null as varchar) as proration
    from start_fees
)

select * from final
