-- One row per order the operator bills (retail) and span of days [valid_from, valid_to) on
-- which, as known on each of those days, it was in service at one monthly list price:
-- its monthly recurring revenue (MRR). The knowledge version in force on the day, the
-- active interval of that version holding the day, and the product's price row for the
-- day. MRR is the list price: promotions show as discounts in what is invoiced, not here
-- (docs/finance.md).
-- Rule: O1 on Monthly 60.00 activated Jan 10 (known Jan 10), price 70.00 from Mar 1,
-- terminated Apr 15: (O1, Jan 10, Mar 1, 6000), (O1, Mar 1, Apr 15, 7000).
with

versions as (
    select * from {{ ref('int_service_versions') }}
),

intervals as (
    select * from {{ ref('int_service_intervals__by_version') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
    where retail_billed_by = 'operator'
),

prices as (
    select * from {{ ref('int_product_prices__ranges') }}
),

in_service as (
    select
        intervals.order_id,
        greatest(versions.version_date, intervals.start_date) as valid_from,
        least(
            coalesce(versions.next_version_date, date '9999-12-31'), intervals.end_date
        ) as valid_to
    from versions
    inner join intervals
        on
            versions.order_id = intervals.order_id
            and versions.version_date = intervals.version_date
),

priced as (
    select
        in_service.order_id,
        orders.customer_id,
        orders.provider_id,
        orders.currency,
        greatest(in_service.valid_from, prices.range_start_date) as valid_from,
        least(in_service.valid_to, prices.range_end_date) as valid_to,
        prices.monthly_price_cents as mrr_cents
    from in_service
    inner join orders on in_service.order_id = orders.order_id
    inner join prices
        on
            orders.product_id = prices.product_id
            and in_service.valid_to > prices.range_start_date
            and in_service.valid_from < prices.range_end_date
    where in_service.valid_from < in_service.valid_to
),

final as (
    select * from priced
    where valid_from < valid_to
)

select * from final
