-- One row per customer, billing preference (collection_method, invoice_email) and recorded
-- value: the customers input's first values (in force from the start, effective_date
-- 1900-01-01) and every recorded change (preference_changes: the customer portal or the
-- operator's files), with the first day it counts (macro change_effective_date).
-- Read by int_customers__preference_ranges (what is in force on each day) and
-- marts.customer_history.
-- Rule: C1 manual in customers.csv, switched to auto in the portal at 2026-03-05 10:00
-- (Europe/Oslo): (manual, 1900-01-01, customers), (auto, 2026-03-05, portal).
with

customers as (
    select * from {{ ref('stg_inputs__customers') }}
),

changes as (
    select * from {{ ref('stg_inputs__preference_changes') }}
),

batches as (
    select * from {{ ref('stg_inputs__load_batches') }}
),

fields as (
    select unnest(['collection_method', 'invoice_email']) as preference_field
),

events as (
    select
        customers.customer_id,
        fields.preference_field,
        case fields.preference_field
            when 'collection_method' then customers.collection_method
            else customers.customer_email
        end as preference_value,
        date '1900-01-01' as effective_date,
        batches.loaded_at as recorded_at,
        'customers' as change_source,
        cast(null as varchar) as change_id,
        cast(null as varchar) as old_value,
        cast(null as varchar) as client_ip
    from customers
    cross join fields
    left join batches on customers.batch_id = batches.batch_id
    union all
    select
        changes.customer_id,
        changes.preference_field,
        changes.new_value as preference_value,
        {{ change_effective_date('changes.recorded_date', 'batches.first_run_date') }}
            as effective_date,
        changes.recorded_at,
        changes.change_source,
        changes.change_id,
        changes.old_value,
        changes.client_ip
    from changes
    left join batches on changes.batch_id = batches.batch_id
)

select * from events
