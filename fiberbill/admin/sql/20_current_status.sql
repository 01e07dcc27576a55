-- An invoice's id and its status now: the newest row of its status history (null when it
-- has none). A write-off is allowed only from open or late.
-- Example: INV-2026-000003 went open on Jan 1 and late on Jan 20: (3, 'late').
-- Reads: ledger.invoice_documents, ledger.invoice_status_history. Writes: nothing.
select
    d.invoice_id,
    h.status
from ledger.invoice_documents as d
left join ledger.invoice_status_history as h on d.invoice_id = h.invoice_id
where d.invoice_number = $invoice_number
qualify row_number() over (order by h.history_id desc) = 1;
