with

source as (
    select * from {{ source('inputs', 'payment_method_changes') }}
),

renamed as (
    select
        change_id,
        customer_id,
        payment_method_id,
        action as change_action,
        type as payment_method_type,
        stripe_payment_method_id,
        last4 as payment_method_last4,
        recorded_at,
        {{ local_date('recorded_at') }} as recorded_date,
        source as change_source,
        client_ip,
        _batch_id as batch_id
    from source
)

select * from renamed
