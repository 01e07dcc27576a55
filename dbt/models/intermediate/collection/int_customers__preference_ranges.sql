-- One row per customer, billing preference (collection_method, invoice_email) and range of
-- days [valid_from_date, valid_to_date) over which one value is in force.
-- The customers input gives each customer's first values, in force from the start. A
-- recorded change (preference_changes: the customer portal or the operator's files) takes
-- effect from the day it was recorded, never before; a change loaded by a later call counts
-- from that call's first run day at the earliest (like every late row). On each day the
-- change in force from the latest day wins, among changes of one day the latest recorded;
-- the customers input's values come first, so any change in force wins over them.
-- Rule: C1 manual in customers.csv, switched to auto in the portal at 2026-03-05 10:00
-- (Europe/Oslo) is manual through Mar 4 and auto from Mar 5.
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
        cast(null as varchar) as change_id
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
        changes.change_id
    from changes
    left join batches on changes.batch_id = batches.batch_id
),

points as (
    select distinct
        customer_id,
        preference_field,
        effective_date as valid_from_date
    from events
),

in_force as (
    select
        points.customer_id,
        points.preference_field,
        points.valid_from_date,
        events.preference_value,
        events.change_source,
        events.change_id,
        events.recorded_at
    from points
    inner join events
        on
            points.customer_id = events.customer_id
            and points.preference_field = events.preference_field
            and points.valid_from_date >= events.effective_date
    qualify row_number() over (
        partition by points.customer_id, points.preference_field, points.valid_from_date
        order by
            events.effective_date desc,
            events.recorded_at desc nulls last,
            events.change_id desc nulls last
    ) = 1
),

final as (
    select
        *,
        coalesce(
            lead(valid_from_date) over (
                partition by customer_id, preference_field order by valid_from_date
            ),
            date '9999-12-31'
        ) as valid_to_date
    from in_force
)

select * from final
