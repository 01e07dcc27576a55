-- Stripe collection per run day, currency and payment method type (card, us_bank_account,
-- sepa_debit), as known that day: payment attempts started (first tries and retries) and
-- attempts that ended, succeeded or failed, with their amounts. A month's success rate is
-- succeeded ÷ (succeeded + failed) of the attempts that ended in it.
-- Rule: a card charge of 60.50 tried Feb 1 and declined, retried Feb 4 and paid: Feb 1
-- (1 started, 1 failed), Feb 4 (1 retry started, 1 succeeded, 60.50).
with

events as (
    select * from {{ ref('stg_ledger__payment_attempts') }}
),

invoices as (
    select * from {{ ref('stg_ledger__invoice_documents') }}
),

attempt_events as (
    select
        events.*,
        invoices.currency,
        row_number() over (partition by events.attempt_key order by events.event_id)
            as event_no,
        lag(events.status) over (partition by events.attempt_key order by events.event_id)
            as status_before
    from events
    inner join invoices on events.invoice_id = invoices.invoice_id
),

final as (
    select
        run_date as day,
        currency,
        method as payment_method,
        count(*) filter (where event_no = 1 and attempt_no = 1) as attempts_started,
        count(*) filter (where event_no = 1 and attempt_no > 1) as retries_started,
        count(*) filter (
            where status = 'succeeded' and status is distinct from status_before
        ) as succeeded,
        count(*) filter (
            where status = 'failed' and status is distinct from status_before
        ) as failed,
        {{ cents_to_money("coalesce(sum(amount_cents) filter (where status = 'succeeded'
            and status is distinct from status_before), 0)") }} as succeeded_amount,
        {{ cents_to_money("coalesce(sum(amount_cents) filter (where status = 'failed'
            and status is distinct from status_before), 0)") }} as failed_amount
    from attempt_events
    group by run_date, currency, method
)

select * from final
