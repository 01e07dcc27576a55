-- Step 41, voids: an issued invoice that would owe nothing after today's credits, and on
-- which no money was ever received, is voided instead of credited.
-- Reads: _effect, ledger.invoice_documents, received. Writes: ledger.invoice_voids.
-- Rule: an invoice for an order activated and deactivated the same day, recorded late,
-- falls to 0.00 and had no payment: it is void, with no credit note.
insert into ledger.invoice_voids
select
    e.invoice_id,
    $day as void_date
from _effect as e
inner join ledger.invoice_documents as i using (invoice_id)
where
    e.after_total = 0 and i.invoice_number is not null
    and e.invoice_id not in (select r.invoice_id from ledger.received($day) as r)
