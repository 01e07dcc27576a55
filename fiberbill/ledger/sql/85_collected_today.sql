-- Step 85 (after collection), the invoices Stripe collected for or attempted today.
-- Reads: ledger.collected_payments, ledger.payment_attempts. Writes: _scope.
create or replace temp table _scope as
select c.invoice_id from ledger.collected_payments as c
where c.received_date = $day
union
select a.invoice_id from ledger.payment_attempts as a
where a.run_date = $day
