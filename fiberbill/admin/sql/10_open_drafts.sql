-- The drafts an operator can finalize: invoices without a number that were never voided.
-- Example: DRAFT-00000004 (invoice_id 4, no number, not voided) is listed; invoice_id 3, a
-- voided draft, is not.
-- Reads: ledger.invoice_documents, ledger.invoice_voids. Writes: nothing.
select d.invoice_id
from ledger.invoice_documents as d
where
    d.invoice_number is null
    and d.invoice_id not in (select v.invoice_id from ledger.invoice_voids as v)
order by d.invoice_id;
