with

source as (
    select * from {{ source('inputs', 'order_events') }}
),

renamed as (
    select
        order_id,
        event as order_event,
        effective_at,
        {{ local_date('effective_at') }} as effective_date,
        recorded_at,
        {{ local_date('recorded_at') }} as recorded_date,
        _batch_id as batch_id
    from source
)

select * from renamed
