-- The payment method fiberbill charges for each customer that has one: the default
-- active method, or else the first active one by payment_method_id. It is usable when it
-- is active and has a Stripe payment method id.
with

methods as (
    select * from {{ ref('stg_inputs__payment_methods') }}
),

ranked as (
    select
        customer_id,
        payment_method_id,
        payment_method_type,
        stripe_payment_method_id,
        payment_method_last4,
        coalesce(stripe_payment_method_id, '') <> '' as is_usable
    from methods
    where payment_method_status = 'active'
    qualify row_number() over (
        partition by customer_id
        order by coalesce(is_default, false) desc, payment_method_id
    ) = 1
)

select * from ranked
