-- Refunds the journal planned that Stripe has no answer for yet.
-- Reads: journal.refunds, journal.refund_events. Writes: nothing.
select
    refund_key,
    credit_note_number,
    payment_intent_id,
    amount_cents,
    target_refunded_cents,
    coalesce(currency, 'EUR') as currency
from journal.refunds
where refund_key not in (select e.refund_key from journal.refund_events as e)
order by refund_key
