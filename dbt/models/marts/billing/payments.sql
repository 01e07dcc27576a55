-- One row per accepted payment seen by the last run day. Manual payments come from the
-- `payments` input; Stripe and credit-balance payments arrive with collection (issue 4).
with

checked as (
    select * from {{ ref('int_payments__checked') }}
),

final as (
    select
        payment_id,
        invoice_number,
        customer_id,
        {{ cents_to_money('amount_cents') }} as amount,
        currency,
        payment_method as method,
        'succeeded' as status,
        received_at,
        'manual' as source
    from checked
    where is_seen and rejection_reason is null
)

select * from final
