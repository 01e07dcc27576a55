with

source as (
    select * from {{ source('inputs', 'activation_events') }}
),

renamed as (
    select
        event_id,
        order_id,
        event as activation_event,
        occurred_at,
        {{ local_date('occurred_at') }} as occurred_date,
        recorded_at,
        {{ local_date('recorded_at') }} as recorded_date,
        _batch_id as batch_id
    from source
)

select * from renamed
