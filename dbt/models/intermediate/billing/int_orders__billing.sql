-- One row per order, with what billing needs about it: customer, product, provider,
-- currency, billing cycle and the promotion that applies (if any).
with

orders as (
    select * from {{ ref('stg_inputs__orders') }}
),

prices as (
    select * from {{ ref('int_product_prices__ranges') }}
),

providers as (
    select * from {{ ref('stg_inputs__providers') }}
),

promotions as (
    select * from {{ ref('stg_inputs__promotions') }}
),

-- a product's cycle, provider and retail biller are those of its earliest price row
products as (
    select
        product_id,
        provider_id,
        billing_cycle,
        retail_billed_by
    from prices
    where range_start_date = date '0001-01-01'
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.product_id,
        orders.connection_id,
        products.provider_id,
        providers.provider_name,
        providers.currency,
        products.billing_cycle,
        products.retail_billed_by,
        promotions.promotion_code,
        promotions.promotion_kind,
        promotions.promotion_value,
        promotions.duration_months as promotion_months
    from orders
    inner join products on orders.product_id = products.product_id
    inner join providers on products.provider_id = providers.provider_id
    left join promotions on orders.applied_promotion_code = promotions.promotion_code
)

select * from final
