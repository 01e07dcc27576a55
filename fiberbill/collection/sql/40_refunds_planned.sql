-- The refunds the ledger planned by the run day, keyed by their credit note's identity:
-- the invoice's customer, currency and creation day, and the credit note's day (never by a
-- number a replay could give to another document).
-- Reads: ledger.stripe_refunds, ledger.credit_notes, ledger.invoice_documents.
-- Writes: nothing.
-- Rule: a credit note of Jan 21 on C1's EUR invoice of Jan 10 is refund key
-- C1|EUR|2026-01-10@2026-01-21.
select
    d.customer_id || '|' || d.currency || '|'
    || strftime(d.created_date, '%Y-%m-%d') || '@'
    || strftime(c.issue_date, '%Y-%m-%d') as refund_key,
    c.credit_note_number,
    d.invoice_number,
    r.amount_cents,
    d.customer_id,
    d.currency,
    d.created_date,
    c.issue_date
from ledger.stripe_refunds as r
inner join ledger.credit_notes as c using (credit_note_id)
inner join ledger.invoice_documents as d on r.invoice_id = d.invoice_id
where r.run_date <= $day
order by refund_key
