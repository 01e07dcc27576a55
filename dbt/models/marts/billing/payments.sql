-- One row per payment seen by the last run day: manual payments from the `payments`
-- input, credit balance applied to invoices, and Stripe: each collected payment
-- (succeeded), each attempt that failed or is still processing, and each refund (a
-- negative amount: refunded, refund_pending, or refund_failed when Stripe refused it).
-- Only succeeded rows and refunds that were not refused count towards amount_paid.
-- failure_reason is Stripe's reason for a failed attempt or refund.
with

checked as (
    select * from {{ ref('int_payments__checked') }}
),

applications as (
    select * from {{ ref('stg_ledger__balance_applications') }}
),

invoices as (
    select * from {{ ref('stg_ledger__invoice_documents') }}
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
        'manual' as source,
        cast(null as varchar) as failure_reason
    from checked
    where is_seen and rejection_reason is null
),

credit_balance as (
    select
        'CB-' || {{ padded('applications.application_id', 8) }} as payment_id,
        invoices.invoice_number,
        applications.customer_id,
        {{ cents_to_money('applications.amount_cents') }} as amount,
        applications.currency,
        'credit_balance' as method,
        'succeeded' as status,
        cast(applications.run_date as timestamptz) as received_at,
        'credit_balance' as source,
        cast(null as varchar) as failure_reason
    from applications
    inner join invoices on applications.invoice_id = invoices.invoice_id
),

collected as (
    select * from {{ ref('stg_ledger__collected_payments') }}
),

attempts as (
    select * from {{ ref('stg_ledger__payment_attempts') }}
    qualify row_number() over (partition by attempt_key order by event_id desc) = 1
),

refunds as (
    select * from {{ ref('stg_ledger__refund_status') }}
),

stripe_succeeded as (
    select
        collected.payment_id,
        invoices.invoice_number,
        invoices.customer_id,
        {{ cents_to_money('collected.amount_cents') }} as amount,
        collected.currency,
        collected.method,
        'succeeded' as status,
        collected.received_at,
        'stripe' as source,
        cast(null as varchar) as failure_reason
    from collected
    inner join invoices on collected.invoice_id = invoices.invoice_id
),

stripe_unsettled as (
    select
        coalesce(attempts.payment_intent_id, attempts.attempt_key) as payment_id,
        invoices.invoice_number,
        invoices.customer_id,
        {{ cents_to_money('attempts.amount_cents') }} as amount,
        invoices.currency,
        attempts.method,
        attempts.status,
        cast(attempts.run_date as timestamptz) as received_at,
        'stripe' as source,
        attempts.failure_reason
    from attempts
    inner join invoices on attempts.invoice_id = invoices.invoice_id
    where attempts.status <> 'succeeded'
),

stripe_refunded as (
    select
        'RF-' || {{ padded('refunds.credit_note_id', 8) }} as payment_id,
        invoices.invoice_number,
        invoices.customer_id,
        {{ cents_to_money('-refunds.amount_cents') }} as amount,
        invoices.currency,
        'refund' as method,
        -- what Stripe answered: only a refund that happened shows as refunded
        case refunds.refund_status
            when 'succeeded' then 'refunded'
            when 'failed' then 'refund_failed'
            when 'canceled' then 'refund_failed'
            else 'refund_pending'
        end as status,
        cast(refunds.run_date as timestamptz) as received_at,
        'stripe' as source,
        refunds.refund_detail as failure_reason
    from refunds
    inner join invoices on refunds.invoice_id = invoices.invoice_id
),

final as (
    select * from manual
    union all
    select * from credit_balance
    union all
    select * from stripe_succeeded
    union all
    select * from stripe_unsettled
    union all
    select * from stripe_refunded
)

select * from final
