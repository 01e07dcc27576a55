-- One row per order and knowledge version, with the service's first active day (the
-- anchor of anniversary periods; null when never active) and, when the service has ended,
-- the first day no longer billed.
with

versions as (
    select * from {{ ref('int_order_versions') }}
),

intervals as (
    select * from {{ ref('int_service_intervals__by_version') }}
),

spans as (
    select
        order_id,
        version_date,
        min(start_date) as first_active_date,
        max(end_date) as last_end_date
    from intervals
    group by order_id, version_date
),

final as (
    select
        versions.order_id,
        versions.version_date,
        versions.next_version_date,
        spans.first_active_date,
        case
            when spans.last_end_date < date '9999-12-31' then spans.last_end_date
        end as service_end_date
    from versions
    left join spans
        on
            versions.order_id = spans.order_id
            and versions.version_date = spans.version_date
)

select * from final
