with

source as (
    select * from {{ source('inputs', 'released_rows') }}
),

renamed as (
    select
        batch_id,
        source as source_table,
        file as file_name,
        row_number,
        outcome
    from source
)

select * from renamed
