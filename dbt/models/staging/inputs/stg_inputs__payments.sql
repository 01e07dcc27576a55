with

source as (
    select * from {{ source('inputs', 'payments') }}
),

renamed as (
    select
        payment_id,
        invoice_number,
        cast(round(amount * 100) as bigint) as amount_cents,
        currency,
        received_at,
        {{ local_date('received_at') }} as received_date,
        method as payment_method,
        _batch_id as batch_id
    from source
)

select * from renamed
