-- Step 80, the invoices whose status may have changed today: issued, voided, credited,
-- turned late, paid by balance, Stripe or a manual payment, refunded, or attempted.
-- Reads: _invoices and the ledger's tables of today. Writes: _scope.
create or replace temp table _scope as
select i.invoice_id from _invoices as i
union
select v.invoice_id from ledger.invoice_voids as v
where v.void_date = $day
union
select n.invoice_id from ledger.credit_notes as n
where n.issue_date = $day
union
select l.invoice_id from ledger.invoice_late as l
where l.late_date = $day
union
select b.invoice_id from ledger.balance_applications as b
where b.run_date = $day
union
select c.invoice_id from ledger.collected_payments as c
where c.received_date = $day
union
select r.invoice_id from ledger.stripe_refunds as r
where r.run_date = $day
union
select a.invoice_id from ledger.payment_attempts as a
where a.run_date = $day
union
select p.invoice_id from ledger.valid_payments($day) as p
where p.received_date = $day or $catch_up
