-- One row per customer with a payment method fiberbill would charge
-- (int_customers__payment_method). It is collectable when it is usable (active, with a
-- Stripe payment method id) and Stripe did not decline attaching it. The one definition of
-- "has a usable payment method" for marts.invoices and marts.customers.
with

payment_methods as (
    select * from {{ ref('int_customers__payment_method') }}
),

declines as (
    select * from {{ ref('stg_ledger__payment_method_declines') }}
),

final as (
    select
        payment_methods.customer_id,
        payment_methods.payment_method_id,
        payment_methods.payment_method_type,
        payment_methods.stripe_payment_method_id,
        payment_methods.is_usable,
        payment_methods.is_usable and not exists (
            select 1 from declines
            where
                declines.customer_id = payment_methods.customer_id
                and declines.stripe_payment_method_id
                = payment_methods.stripe_payment_method_id
        ) as is_collectable
    from payment_methods
)

select * from final
