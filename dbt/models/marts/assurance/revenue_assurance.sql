-- Revenue assurance: where the network's own daily status disagrees with what is billed,
-- through the last run day, with everything known by then. One row per finding, a run of
-- consecutive days on one connection (and order):
--   active_without_order  the connection is up on a day no order on it is active and
--                         none is waiting for its first activation (leakage);
--   billed_while_down     an order is active (so billed) on a day its connection is down;
--   up_before_activation  the connection is up between an order's ordered day and its
--                         first activation (provisioning never reported it).
-- Days without a network_status row are not judged.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

status as (
    select * from {{ ref('stg_inputs__network_status') }}
    where status_date <= cast('{{ var("through") }}' as date)
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

order_dates as (
    select
        order_id,
        ordered_date
    from {{ ref('stg_inputs__orders') }}
),

versions as (
    select * from {{ ref('int_service_versions') }}
    where next_version_date is null
),

intervals as (
    select intervals.*
    from {{ ref('int_service_intervals__by_version') }} as intervals
    inner join versions
        on
            intervals.order_id = versions.order_id
            and intervals.version_date = versions.version_date
),

order_ends as (
    select
        order_id,
        min(event_date) as order_end_date
    from {{ ref('int_order_events__known') }}
    where event in ('cancelled', 'terminated')
    group by order_id
),

-- each order waits for its first activation from its ordered day
waiting as (
    select
        orders.order_id,
        orders.connection_id,
        orders.provider_id,
        order_dates.ordered_date as wait_start_date,
        least(
            coalesce(versions.first_active_date, date '9999-12-31'),
            coalesce(order_ends.order_end_date, date '9999-12-31')
        ) as wait_end_date
    from orders
    inner join order_dates on orders.order_id = order_dates.order_id
    left join versions on orders.order_id = versions.order_id
    left join order_ends on orders.order_id = order_ends.order_id
),

active_days as (
    select
        status.connection_id,
        status.status_date,
        status.network_status,
        intervals.order_id,
        orders.provider_id
    from status
    inner join orders on status.connection_id = orders.connection_id
    inner join intervals
        on
            orders.order_id = intervals.order_id
            and status.status_date >= intervals.start_date
            and status.status_date < intervals.end_date
),

waiting_days as (
    select
        status.connection_id,
        status.status_date,
        waiting.order_id,
        waiting.provider_id
    from status
    inner join waiting
        on
            status.connection_id = waiting.connection_id
            and status.status_date >= waiting.wait_start_date
            and status.status_date < waiting.wait_end_date
    where status.network_status = 'up'
),

finding_days as (
    select
        'billed_while_down' as finding,
        connection_id,
        order_id,
        provider_id,
        status_date
    from active_days
    where network_status = 'down'
    union all
    select
        'up_before_activation' as finding,
        waiting_days.connection_id,
        waiting_days.order_id,
        waiting_days.provider_id,
        waiting_days.status_date
    from waiting_days
    where
        not exists (
            select 1 from active_days
            where
                active_days.connection_id = waiting_days.connection_id
                and active_days.status_date = waiting_days.status_date
        )
    union all
    select
        'active_without_order' as finding,
        status.connection_id,
        null as order_id,
        null as provider_id,
        status.status_date
    from status
    where
        status.network_status = 'up'
        and not exists (
            select 1 from active_days
            where
                active_days.connection_id = status.connection_id
                and active_days.status_date = status.status_date
        )
        and not exists (
            select 1 from waiting_days
            where
                waiting_days.connection_id = status.connection_id
                and waiting_days.status_date = status.status_date
        )
),

islands as (
    select
        *,
        status_date - cast(row_number() over (
            partition by finding, connection_id, order_id order by status_date
        ) as integer) as island
    from (select distinct * from finding_days) as distinct_days
),

final as (
    select
        finding,
        connection_id,
        order_id,
        provider_id,
        min(status_date) as first_date,
        max(status_date) as last_date,
        count(*) as days
    from islands
    group by finding, connection_id, order_id, provider_id, island
)

select * from final
