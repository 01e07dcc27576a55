with

source as (
    select * from {{ source('inputs', 'products') }}
),

renamed as (
    select
        product_id,
        valid_from as valid_from_date,
        provider_id,
        name as product_name,
        billing_cycle,
        retail_billed_by,
        cast(round(monthly_price * 100) as bigint) as monthly_price_cents,
        cast(round(start_fee * 100) as bigint) as start_fee_cents,
        cast(round(wholesale_monthly_fee * 100) as bigint) as wholesale_monthly_fee_cents,
        cast(round(wholesale_start_fee * 100) as bigint) as wholesale_start_fee_cents,
        tax_rate
    from source
)

select * from renamed
