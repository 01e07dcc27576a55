with

rejected as (
    select * from {{ ref('stg_inputs__rejected_rows') }}
),

final as (
    select
        source_table as source,
        file_name as file,
        row_number,
        reason,
        raw_row as raw
    from rejected
    order by batch_id, source_table, file_name, row_number, reason
)

select * from final
