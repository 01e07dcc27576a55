-- One row per customer: the billing preferences in force on the last run day (var
-- `through`), from int_customers__preference_ranges: collection_method and invoice_email
-- (where documents are e-mailed), with where each came from.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

ranges as (
    select * from {{ ref('int_customers__preference_ranges') }}
    where
        valid_from_date <= date '{{ var("through") }}'
        and date '{{ var("through") }}' < valid_to_date
),

final as (
    select
        customer_id,
        any_value(preference_value) filter (where preference_field = 'collection_method')
            as collection_method,
        any_value(preference_value) filter (where preference_field = 'invoice_email')
            as invoice_email,
        any_value(change_source) filter (where preference_field = 'collection_method')
            as collection_method_source
    from ranges
    group by customer_id
)

select * from final
