with

source as (
    select * from {{ source('inputs', 'orders') }}
),

renamed as (
    select
        order_id,
        customer_id,
        product_id,
        connection_id,
        ordered_at,
        {{ local_date('ordered_at') }} as ordered_date,
        promotion_code,
        -- the code applies only when ingest found it valid for this order (no warning)
        case when promotion_warning is null then promotion_code end as applied_promotion_code,
        promotion_warning,
        _batch_id as batch_id
    from source
)

select * from renamed
