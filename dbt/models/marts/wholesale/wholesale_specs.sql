{{ config(materialized='incremental') }}

-- One row per published wholesale spec: a provider and calendar month, made on the 1st of
-- the next month.
with

published as (
    select * from {{ source('ledger', 'wholesale_specs') }}
),

{% if is_incremental() %}
    -- Published specs never change: only specs not in this table yet are added.
    done as (
        select distinct
            provider_id,
            spec_month
        from {{ this }}
    ),

    specs as (
        select published.*
        from published
        left join done
            on
                published.provider_id = done.provider_id
                and published.spec_month = done.spec_month
        where done.provider_id is null
    ),
{% else %}
    specs as (
        select * from published
    ),
{% endif %}

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
