with

source as (
    select * from {{ source('inputs', 'load_batches') }}
),

renamed as (
    select
        batch_id,
        loaded_at,
        data_dir,
        first_run_day as first_run_date
    from source
)

select * from renamed
