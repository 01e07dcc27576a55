{{ config(materialized='incremental') }}

-- One row per published wholesale spec line. original_month is the month a line is about:
-- the spec month itself for recurring and start_fee lines, an earlier one for adjustments.
with

lines as (
    {{ unpublished_specs('wholesale_spec_lines') }}
),

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
