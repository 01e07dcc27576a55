-- One row per activation or order event, with the local day it became known to billing.
with

activation_events as (
    select * from {{ ref('stg_inputs__activation_events') }}
),

order_events as (
    select * from {{ ref('stg_inputs__order_events') }}
),

load_batches as (
    select * from {{ ref('stg_inputs__load_batches') }}
),

events as (
    select
        order_id,
        event_id,
        activation_event as event,
        occurred_at as event_at,
        occurred_date as event_date,
        recorded_date,
        batch_id
    from activation_events
    union all
    select
        order_id,
        null as event_id,
        order_event as event,
        effective_at as event_at,
        effective_date as event_date,
        recorded_date,
        batch_id
    from order_events
),

final as (
    select
        events.order_id,
        events.event_id,
        events.event,
        events.event_at,
        events.event_date,
        events.recorded_date,
        -- a row loaded by a later call counts as recorded on the first day that call runs
        greatest(
            events.recorded_date,
            coalesce(load_batches.first_run_date, events.recorded_date)
        ) as known_date
    from events
    left join load_batches on events.batch_id = load_batches.batch_id
)

select * from final
