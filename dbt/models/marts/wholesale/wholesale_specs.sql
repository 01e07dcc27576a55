{{ config(materialized='incremental') }}

-- One row per published wholesale spec: a provider and calendar month, made on the 1st of
-- the next month.
with

specs as (
    {{ unpublished_specs('wholesale_specs') }}
),

final as (
    select
        provider_id,
        spec_month,
        line_count,
        {{ cents_to_money('total_cents') }} as total,
        currency,
        generated_on
    from specs
)

select * from final
