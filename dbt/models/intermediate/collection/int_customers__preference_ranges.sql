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

events as (
    select * from {{ ref('int_customers__preference_events') }}
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
