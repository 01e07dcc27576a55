with

source as (
    select * from {{ source('inputs', 'promotions') }}
),

renamed as (
    select
        promotion_code,
        kind as promotion_kind,
        value as promotion_value,
        duration_months,
        product_id,
        valid_from as valid_from_date,
        valid_to as valid_to_date
    from source
)

select * from renamed
