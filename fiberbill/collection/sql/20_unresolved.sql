-- Attempts a crash or an asynchronous method left unresolved by the run day: planned (Stripe
-- not asked yet), pending (created, not confirmed) or processing (SEPA, ACH), with the last
-- final answer a webhook gave for their PaymentIntent, if any ('succeeded|' or
-- 'failed|<reason>').
-- Reads: _latest_attempts, journal.webhook_events. Writes: nothing.
select
    l.attempt_key,
    l.invoice_number,
    l.attempt_no,
    l.currency,
    l.amount_cents,
    l.method,
    l.stripe_payment_method_id,
    l.stripe_customer_id,
    l.payment_intent_id,
    l.status,
    l.status_date,
    (
        select w.status || '|' || coalesce(w.failure_reason, '')
        from journal.webhook_events as w
        where
            w.payment_intent_id = l.payment_intent_id
            and w.status in ('succeeded', 'failed')
        order by w.received_at desc limit 1
    ) as webhook
from _latest_attempts as l
where l.status in ('planned', 'pending', 'processing') and l.run_date <= $day
order by l.attempt_key
