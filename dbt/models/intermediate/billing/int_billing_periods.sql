-- One row per order, knowledge version and billing period from the service's first active
-- day through the last run day (var `through`), and the period after it: that one is never
-- owed yet (int_charges__targets keeps what falls due by `through`), but it prices the next
-- invoice's estimate (marts.customer_next_invoices) with the rules that bill. Monthly
-- periods are calendar months; anniversary periods start on the anchor's day of month,
-- clamped to the month's end.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

versions as (
    select * from {{ ref('int_service_versions') }}
    where first_active_date is not null
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

numbered as (
    select
        versions.order_id,
        versions.version_date,
        orders.billing_cycle,
        versions.first_active_date as anchor_date,
        unnest(range(0, greatest(
            0, datediff('month', versions.first_active_date, date '{{ var("through") }}')
        ) + 2)) as period_index
    from versions
    inner join orders on versions.order_id = orders.order_id
),

bounded as (
    select
        order_id,
        version_date,
        billing_cycle,
        anchor_date,
        period_index,
        {{ period_start('billing_cycle', 'anchor_date', 'period_index') }} as period_start_date,
        {{ period_start('billing_cycle', 'anchor_date', 'period_index + 1') }} - 1
            as period_end_date
    from numbered
),

final as (
    select
        *,
        datediff('day', period_start_date, period_end_date) + 1 as period_days
    from bounded
    where
        period_index = 0
        or {{ period_start('billing_cycle', 'anchor_date', 'period_index - 1') }}
        <= date '{{ var("through") }}'
)

select * from final
