-- Step 50, the invoices that may turn late today: issued, past due date + grace days, not
-- late yet (on the first day of a call, any such invoice, to catch up).
-- Reads: ledger.invoice_documents, ledger.invoice_late. Writes: _scope.
-- Rule: due Jan 24 with 7 grace days, an invoice may turn late on Feb 1.
create or replace temp table _scope as
select invoice_id from ledger.invoice_documents
where
    invoice_number is not null and due_date + $grace < $day
    and (due_date + $grace + 1 = $day or $catch_up)
    and invoice_id not in (select l.invoice_id from ledger.invoice_late as l)
