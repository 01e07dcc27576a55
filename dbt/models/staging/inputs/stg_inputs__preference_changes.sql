with

source as (
    select * from {{ source('inputs', 'preference_changes') }}
),

renamed as (
    select
        change_id,
        customer_id,
        field as preference_field,
        case
            when field = 'collection_method' then lower(new_value) else new_value
        end as new_value,
        old_value,
        recorded_at,
        {{ local_date('recorded_at') }} as recorded_date,
        source as change_source,
        client_ip,
        _batch_id as batch_id
    from source
)

select * from renamed
