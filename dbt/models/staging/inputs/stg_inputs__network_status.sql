with

source as (
    select * from {{ source('inputs', 'network_status') }}
),

renamed as (
    select
        connection_id,
        status_date,
        status as network_status
    from source
)

select * from renamed
