{{ config(materialized='incremental') }}

-- One row per published wholesale spec line. original_month is the month a line is about:
-- the spec month itself for recurring and start_fee lines, an earlier one for adjustments.
with

published as (
    select * from {{ source('ledger', 'wholesale_spec_lines') }}
),

{% if is_incremental() %}
    -- Published specs never change: only specs not in this table yet are added.
    done as (
        select distinct
            provider_id,
            spec_month
        from {{ this }}
    ),

    lines as (
        select published.*
        from published
        left join done
            on
                published.provider_id = done.provider_id
                and published.spec_month = done.spec_month
        where done.provider_id is null
    ),
{% else %}
    lines as (
        select * from published
    ),
{% endif %}

final as (
    select
        provider_id,
        spec_month,
        line_number,
        kind,
        order_id,
        connection_id,
        product_id,
        service_start,
        service_end,
        days,
        period_days,
        {{ cents_to_money('amount_cents') }} as amount,
        currency,
        original_month,
        original_kind
    from lines
)

select * from final
