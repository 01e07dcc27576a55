-- One row per accepted payment seen by the last run day: manual payments from the
-- `payments` input, and credit balance applied to invoices. Stripe payments arrive with
-- collection (issue 4).
with

checked as (
    select * from {{ ref('int_payments__checked') }}
),

applications as (
    select * from {{ source('ledger', 'balance_applications') }}
),

invoices as (
    select * from {{ source('ledger', 'invoices') }}
),

manual as (
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
),

credit_balance as (
    select
        'CB-' || lpad(cast(applications.application_id as varchar), 8, '0') as payment_id,
        invoices.invoice_number,
        applications.customer_id,
        {{ cents_to_money('applications.amount_cents') }} as amount,
        applications.currency,
        'credit_balance' as method,
        'succeeded' as status,
        cast(applications.run_date as timestamptz) as received_at,
        'credit_balance' as source
    from applications
    inner join invoices on applications.invoice_id = invoices.invoice_id
),

final as (
    select * from manual
    union all
    select * from credit_balance
)

select * from final
