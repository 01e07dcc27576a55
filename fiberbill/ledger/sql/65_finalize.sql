-- Step 65 (fiberbill invoices finalize, not part of a run day): the chosen drafts get their
-- number, issue day and due day, numbered on from the year's last invoice number in
-- (customer_id, currency, invoice_id) order. The draft itself is never changed.
-- Reads: _chosen (invoice_id), ledger.invoices, ledger.invoice_documents, settings
-- $invoice_prefix, $payment_terms_days. Writes: ledger.invoice_finalizations.
-- Rule: after INV-2026-000041, drafts of customers C1 and C2 finalized on Mar 3 2026 become
-- INV-2026-000042 and INV-2026-000043, issued Mar 3, due Mar 17 with 14 days' terms.
insert into ledger.invoice_finalizations
with last_used as (
    select
        coalesce(max(ledger.document_sequence(invoice_number)) filter (
            where invoice_number like $invoice_prefix || '-' || year($day) || '-%'
        ), 0) as last_sequence
    from ledger.invoice_documents
),

chosen as (
    select
        i.invoice_id,
        row_number() over (order by i.customer_id, i.currency, i.invoice_id) as rank_today
    from ledger.invoices as i
    where i.invoice_id in (select c.invoice_id from _chosen as c)
)

select
    c.invoice_id,
    ledger.document_number($invoice_prefix, year($day), u.last_sequence + c.rank_today)
        as invoice_number,
    cast($day as date) as issue_date,
    cast($day as date) + $payment_terms_days as due_date,
    now() as finalized_at
from chosen as c cross join last_used as u
