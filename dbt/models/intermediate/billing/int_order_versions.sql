-- One row per order and knowledge version: the days on which something about the order
-- became known to billing, each holding until the next.
with

events as (
    select * from {{ ref('int_order_events__known') }}
),

versions as (
    select
        order_id,
        known_date as version_date
    from events
    group by order_id, known_date
),

final as (
    select
        order_id,
        version_date,
        lead(version_date) over (
            partition by order_id order by version_date
        ) as next_version_date
    from versions
)

select * from final
