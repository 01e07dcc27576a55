-- One row per payment method and range of days [valid_from_date, valid_to_date) over which
-- its state holds: status, and when it was last made the default (the day that took effect
-- and when it was recorded; null if never).
-- A method listed in the payment_methods input holds its listed state from the start (made
-- default when it was loaded, if is_default). Changes (payment_method_changes: the customer
-- portal or the operator's files) take effect from the day they were recorded, never
-- before, and from the first run day of the call that loaded them at the earliest:
-- `added` lists a new active method, `set_default` makes it the default, `removed` ends it.
-- Rule: PM1 (default, listed) and PM2 added in the portal on Mar 5 and made default on
-- Mar 6: PM1 is the default through Mar 5, PM2 from Mar 6; PM2 removed on Mar 9 is
-- status removed from Mar 9.
with

events as (
    select * from {{ ref('int_payment_methods__events') }}
),

points as (
    select distinct
        payment_method_id,
        effective_date as valid_from_date
    from events
),

states as (
    select
        points.payment_method_id,
        points.valid_from_date,
        any_value(events.customer_id) as customer_id,
        any_value(events.payment_method_type)
        filter (where events.change_action in ('listed', 'added')) as payment_method_type,
        any_value(events.stripe_payment_method_id)
        filter (where events.change_action in ('listed', 'added'))
            as stripe_payment_method_id,
        any_value(events.payment_method_last4)
        filter (where events.change_action in ('listed', 'added'))
            as payment_method_last4,
        coalesce(
            any_value(events.payment_method_status)
            filter (where events.change_action = 'removed'),
            any_value(events.payment_method_status)
            filter (where events.change_action in ('listed', 'added'))
        ) as payment_method_status,
        max(events.effective_date) filter (where events.is_default) as default_effective_date,
        arg_max(events.recorded_at, events.effective_date)
        filter (where events.is_default) as default_recorded_at
    from points
    inner join events
        on
            points.payment_method_id = events.payment_method_id
            and points.valid_from_date >= events.effective_date
    group by points.payment_method_id, points.valid_from_date
),

final as (
    select
        *,
        coalesce(
            lead(valid_from_date) over (
                partition by payment_method_id order by valid_from_date
            ),
            date '9999-12-31'
        ) as valid_to_date
    from states
    -- a method known only by a change that is not in force yet (set_default before added
    -- is rejected at load, so every state has its listing)
    where payment_method_type is not null
)

select * from final
