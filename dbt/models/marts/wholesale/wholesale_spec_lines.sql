{{ config(materialized='incremental') }}

-- One row per published wholesale spec line. original_month is the month a line is about:
-- the spec month itself for recurring and start_fee lines, an earlier one for adjustments.
-- unit_fee and day_fraction let a provider check a line: a recurring amount is
-- round(unit_fee x day_fraction), as 19.60 x 31/31, and proration writes the sum when the
-- fee changed within the month; all null on specs made before layout 2.
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
        original_kind,
        product_name,
        {{ cents_to_money('unit_fee_cents') }} as unit_fee,
        cast(days / period_days as decimal(11, 10)) as day_fraction,
        proration,
        description
    from lines
)

select * from final
