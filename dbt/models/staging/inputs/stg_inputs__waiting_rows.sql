with

source as (
    select * from {{ source('inputs', 'waiting_rows') }}
),

renamed as (
    select
        batch_id,
        source as source_table,
        file as file_name,
        row_number
    from source
)

select * from renamed
