with

source as (
    select * from {{ source('inputs', 'providers') }}
),

renamed as (
    select
        provider_id,
        name as provider_name,
        currency,
        email as provider_email
    from source
)

select * from renamed
