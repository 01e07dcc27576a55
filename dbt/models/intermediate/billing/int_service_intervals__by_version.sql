-- One row per order, knowledge version and active interval [start_date, end_date).
-- A version starts on a day something about the order became known and holds until the
-- next such day. Day d is active when the last activation event on or before d (in time
-- order) is `activated`, and d is before the earliest cancellation or termination.
with

events as (
    select * from {{ ref('int_order_events__known') }}
),

versions as (
    select * from {{ ref('int_order_versions') }}
),

known as (
    select
        versions.order_id,
        versions.version_date,
        events.event,
        events.event_at,
        events.event_id,
        events.event_date
    from versions
    inner join events
        on
            versions.order_id = events.order_id
            and versions.version_date >= events.known_date
),

day_states as (
    select
        order_id,
        version_date,
        event_date,
        event as state,
        row_number() over (
            partition by order_id, version_date, event_date
            order by event_at desc, event_id desc
        ) as rank_in_day
    from known
    where event in ('activated', 'deactivated')
),

transitions as (
    select
        order_id,
        version_date,
        event_date,
        state,
        lag(state) over (
            partition by order_id, version_date order by event_date
        ) as previous_state
    from day_states
    where rank_in_day = 1
),

changes as (
    select
        order_id,
        version_date,
        event_date,
        state,
        lead(event_date) over (
            partition by order_id, version_date order by event_date
        ) as next_change_date
    from transitions
    where previous_state is null or previous_state <> state
),

order_ends as (
    select
        order_id,
        version_date,
        min(event_date) as order_end_date
    from known
    where event in ('cancelled', 'terminated')
    group by order_id, version_date
),

final as (
    select
        changes.order_id,
        changes.version_date,
        changes.event_date as start_date,
        least(
            coalesce(changes.next_change_date, date '9999-12-31'),
            coalesce(order_ends.order_end_date, date '9999-12-31')
        ) as end_date
    from changes
    left join order_ends
        on
            changes.order_id = order_ends.order_id
            and changes.version_date = order_ends.version_date
    where
        changes.state = 'activated'
        and changes.event_date < coalesce(order_ends.order_end_date, date '9999-12-31')
)

select * from final
