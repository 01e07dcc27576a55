-- The payment method fiberbill charges for each customer that has one, as of the last run
-- day (var `through`): int_customers__payment_method_ranges on that day.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

ranges as (
    select * from {{ ref('int_customers__payment_method_ranges') }}
),

final as (
    select
        customer_id,
        payment_method_id,
        payment_method_type,
        stripe_payment_method_id,
        payment_method_last4,
        is_usable
    from ranges
    where
        valid_from_date <= date '{{ var("through") }}'
        and date '{{ var("through") }}' < valid_to_date
)

select * from final
