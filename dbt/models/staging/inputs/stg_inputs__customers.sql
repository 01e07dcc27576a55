with

source as (
    select * from {{ source('inputs', 'customers') }}
),

renamed as (
    select
        customer_id,
        name as customer_name,
        email as customer_email,
        country,
        address as customer_address,
        collection_method,
        created_at,
        _batch_id as batch_id
    from source
)

select * from renamed
