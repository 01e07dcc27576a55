-- Documents, step 15: the invoices still drafts (auto_finalize = false), to preview. A
-- preview has no number and a DRAFT watermark, and is never recorded: it is rendered again
-- by every call while the invoice is a draft, and its document of record comes when it is
-- finalized and numbered.
-- Reads: ledger.invoice_documents. Writes: temp table _drafts (the columns of _documents).
-- Rule: invoice 12, a draft made Mar 1 for C7, is previewed as DRAFT-00000012, dated Mar 1.
create or replace temp table _drafts as
select
    'invoice' as document_kind,
    ledger.draft_id(invoice_id) as document_number,
    invoice_id,
    cast(null as bigint) as credit_note_id,
    customer_id,
    created_date as issue_date,
    cast(null as varchar) as pdf_path,
    cast(null as varchar) as pdf_sha256,
    cast(null as varchar) as html_sha256
from ledger.invoice_documents
where invoice_number is null
order by invoice_id;
