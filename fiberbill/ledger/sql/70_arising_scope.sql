-- Step 70, the invoices something happened to today that may leave money beyond what they
-- owe: a payment (manual or Stripe), a credit note, a void, a refund Stripe refused.
-- Reads: valid_payments, ledger.collected_payments, ledger.credit_notes,
-- ledger.invoice_voids, ledger.stripe_refund_events. Writes: _scope.
create or replace temp table _scope as
select p.invoice_id from ledger.valid_payments($day) as p
where p.received_date = $day or $catch_up
union
select c.invoice_id from ledger.collected_payments as c
where c.received_date = $day
union
select n.invoice_id from ledger.credit_notes as n
where n.issue_date = $day
union
select v.invoice_id from ledger.invoice_voids as v
where v.void_date = $day
union
select r.invoice_id from ledger.stripe_refund_events as r
where r.run_date = $day and r.status in ('failed', 'canceled')
