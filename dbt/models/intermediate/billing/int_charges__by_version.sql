-- One row per order, knowledge version and charge (a billing period, or the start fee):
-- what the charge amounts to with what was known in that version, in integer cents.
--   recurring = round(sum over active days d of price(d) / period_days)
--   discount  = percent: round(value % of the recurring amount of the promotion's days)
--               fixed:   round(min(value x promo days, recurring of promo days) / period_days)
-- Each is rounded once, half away from zero.
with

periods as (
    select * from {{ ref('int_billing_periods') }}
),

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

segments as (
    select
        periods.order_id,
        periods.version_date,
        periods.period_start_date,
        periods.period_end_date,
        periods.period_days,
        prices.monthly_price_cents,
        orders.promotion_kind,
        orders.promotion_value,
        periods.anchor_date as promotion_start_date,
        {{ months_after('periods.anchor_date', 'orders.promotion_months') }}
            as promotion_end_date,
        greatest(intervals.start_date, periods.period_start_date, prices.range_start_date)
            as segment_start_date,
        least(intervals.end_date, periods.period_end_date + 1, prices.range_end_date)
            as segment_end_date
    from periods
    inner join intervals
        on
            periods.order_id = intervals.order_id
            and periods.version_date = intervals.version_date
            and periods.period_end_date >= intervals.start_date
            and periods.period_start_date < intervals.end_date
    inner join orders on periods.order_id = orders.order_id
    inner join prices
        on
            orders.product_id = prices.product_id
            and periods.period_end_date >= prices.range_start_date
            and periods.period_start_date < prices.range_end_date
),

segment_days as (
    select
        *,
        datediff('day', segment_start_date, segment_end_date) as segment_days,
        case
            when promotion_kind in ('percent', 'fixed')
                then
            {{ overlap_days('segment_start_date', 'segment_end_date',
                            'promotion_start_date', 'promotion_end_date') }}
            else 0
        end as promotion_days
    from segments
    where segment_start_date < segment_end_date
),

periods_priced as (
    select
        order_id,
        version_date,
        period_start_date,
        any_value(period_end_date) as period_end_date,
        any_value(period_days) as period_days,
        any_value(promotion_kind) as promotion_kind,
        any_value(promotion_value) as promotion_value,
        sum(segment_days) as active_days,
        sum(cast(monthly_price_cents as hugeint) * segment_days) as price_day_cents,
        min(segment_start_date) as service_start_date,
        max(segment_end_date) - 1 as service_end_date,
        sum(promotion_days) as promotion_days,
        sum(cast(monthly_price_cents as hugeint) * promotion_days) as promotion_price_day_cents,
        min(greatest(segment_start_date, promotion_start_date))
        filter (where promotion_days > 0) as promotion_service_start_date,
        max(least(segment_end_date, promotion_end_date)) filter (where promotion_days > 0)
        - 1 as promotion_service_end_date
    from segment_days
    group by order_id, version_date, period_start_date
),

recurring as (
    select
        periods_priced.order_id,
        periods_priced.version_date,
        strftime(periods_priced.period_start_date, '%Y-%m-%d') as charge_key,
        'recurring' as charge_kind,
        periods_priced.period_start_date,
        periods_priced.period_end_date,
        periods_priced.period_days,
        periods_priced.service_start_date as due_date,
        periods_priced.service_start_date,
        periods_priced.service_end_date,
        periods_priced.active_days,
        cast(
            {{ round_div('periods_priced.price_day_cents', 'periods_priced.period_days') }}
            as bigint
        ) as charge_cents,
        cast(case periods_priced.promotion_kind
            when 'percent' then {{ round_div(
                'cast(periods_priced.promotion_value * 1000000 as hugeint)'
                ~ ' * periods_priced.promotion_price_day_cents',
                '100000000 * periods_priced.period_days') }}
            when 'fixed' then {{ round_div(
                'least(cast(periods_priced.promotion_value * 100 as hugeint)'
                ~ ' * periods_priced.promotion_days, periods_priced.promotion_price_day_cents)',
                'periods_priced.period_days') }}
            else 0
        end as bigint) as discount_cents,
        periods_priced.promotion_service_start_date,
        periods_priced.promotion_service_end_date,
        periods_priced.promotion_days,
        tax.tax_rate,
        tax.product_name
    from periods_priced
    inner join orders on periods_priced.order_id = orders.order_id
    inner join prices as tax
        on
            orders.product_id = tax.product_id
            and periods_priced.period_start_date >= tax.range_start_date
            and periods_priced.period_start_date < tax.range_end_date
),

start_fees as (
    select
        periods.order_id,
        periods.version_date,
        'start_fee' as charge_key,
        'start_fee' as charge_kind,
        periods.period_start_date,
        periods.period_end_date,
        periods.period_days,
        versions.first_active_date as due_date,
        versions.first_active_date as service_start_date,
        versions.first_active_date as service_end_date,
        1 as active_days,
        case
            when orders.promotion_kind = 'start_fee_waiver' then 0
            else fee.start_fee_cents
        end as charge_cents,
        0 as discount_cents,
        cast(null as date) as promotion_service_start_date,
        cast(null as date) as promotion_service_end_date,
        0 as promotion_days,
        tax.tax_rate,
        tax.product_name
    from periods
    inner join versions
        on
            periods.order_id = versions.order_id
            and periods.version_date = versions.version_date
    inner join orders on periods.order_id = orders.order_id
    inner join prices as fee
        on
            orders.product_id = fee.product_id
            and versions.first_active_date >= fee.range_start_date
            and versions.first_active_date < fee.range_end_date
    inner join prices as tax
        on
            orders.product_id = tax.product_id
            and periods.period_start_date >= tax.range_start_date
            and periods.period_start_date < tax.range_end_date
    where periods.period_index = 0
),

-- the operator bills retail only for products it bills (retail_billed_by operator); a
-- provider that bills its own subscribers gets only the wholesale specification
final as (
    select charges.*
    from (
        select * from recurring
        union all
        select * from start_fees
    ) as charges
    inner join orders on charges.order_id = orders.order_id
    where orders.retail_billed_by = 'operator'
)

select * from final
