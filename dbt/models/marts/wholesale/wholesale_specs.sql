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
        generated_on,
        layout,
        provider_name,
        operator_name,
        payment_terms_days,
        cast(generated_on + payment_terms_days as date) as due_date
    from specs
)

select * from final
