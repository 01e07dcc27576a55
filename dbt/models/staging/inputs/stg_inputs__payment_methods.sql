with

source as (
    select * from {{ source('inputs', 'payment_methods') }}
),

renamed as (
    select
        payment_method_id,
        customer_id,
        type as payment_method_type,
        status as payment_method_status,
        is_default,
        stripe_payment_method_id,
        last4 as payment_method_last4,
        _batch_id as batch_id
    from source
)

select * from renamed
