-- One row per customer and range of days [valid_from_date, valid_to_date) over which one
-- payment method is the one fiberbill charges: among the methods active then, the one made
-- default most recently (latest effective day, then latest recorded; a default in the
-- payment_methods input counts from the start), else the first by payment_method_id
-- (int_payment_methods__states). It is usable when it has a Stripe payment method id. A
-- customer with no active method over a range has no row for it.
-- Rule: PM1 listed default, PM2 made default in the portal on Mar 6: PM1 through Mar 5,
-- PM2 from Mar 6; if PM2 is removed on Mar 9, PM1 again from Mar 9.
with

states as (
    select * from {{ ref('int_payment_methods__states') }}
),

points as (
    select distinct
        customer_id,
        valid_from_date
    from states
),

chosen as (
    select
        points.customer_id,
        points.valid_from_date,
        states.payment_method_id,
        states.payment_method_type,
        states.stripe_payment_method_id,
        states.payment_method_last4
    from points
    inner join states
        on
            points.customer_id = states.customer_id
            and points.valid_from_date >= states.valid_from_date
            and points.valid_from_date < states.valid_to_date
    where states.payment_method_status = 'active'
    qualify row_number() over (
        partition by points.customer_id, points.valid_from_date
        order by
            states.default_effective_date desc nulls last,
            states.default_recorded_at desc nulls last,
            states.payment_method_id asc
    ) = 1
),

final as (
    select
        points.customer_id,
        points.valid_from_date,
        coalesce(
            lead(points.valid_from_date) over (
                partition by points.customer_id order by points.valid_from_date
            ),
            date '9999-12-31'
        ) as valid_to_date,
        chosen.payment_method_id,
        chosen.payment_method_type,
        chosen.stripe_payment_method_id,
        chosen.payment_method_last4,
        coalesce(chosen.stripe_payment_method_id, '') <> '' as is_usable
    from points
    left join chosen
        on
            points.customer_id = chosen.customer_id
            and points.valid_from_date = chosen.valid_from_date
)

select * from final
where payment_method_id is not null
