-- One row per product price row, with the half-open range of days it applies to. Before a
-- product's earliest valid_from its earliest row applies.
with

products as (
    select * from {{ ref('stg_inputs__products') }}
),

final as (
    select
        product_id,
        provider_id,
        product_name,
        billing_cycle,
        retail_billed_by,
        monthly_price_cents,
        start_fee_cents,
        wholesale_monthly_fee_cents,
        wholesale_start_fee_cents,
        tax_rate,
        case
            when row_number() over (partition by product_id order by valid_from_date) = 1
                then date '0001-01-01'
            else valid_from_date
        end as range_start_date,
        coalesce(
            lead(valid_from_date) over (partition by product_id order by valid_from_date),
            date '9999-12-31'
        ) as range_end_date
    from products
)

select * from final
