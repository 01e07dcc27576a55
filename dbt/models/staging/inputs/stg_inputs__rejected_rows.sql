with

source as (
    select * from {{ source('inputs', 'rejected_rows') }}
),

renamed as (
    select
        batch_id,
        source as source_table,
        file as file_name,
        row_number,
        reason,
        raw as raw_row,
        is_warning
    from source
)

select * from renamed
