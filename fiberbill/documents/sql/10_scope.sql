-- Documents, step 10: the issued numbers in scope, with the document recorded for each
-- (null while none is). An invoice's document exists once it has a number; a credit note's
-- once it is issued. Drafts have no document of record.
-- Reads: ledger.invoice_documents, ledger.credit_notes, ledger.documents, $since, $until,
-- $numbers (an empty list: every number). Writes: temp table _documents.
-- Rule: with --since 2026-02-01, INV-2026-000007 issued Feb 1 and CN-2026-000001 issued
-- Feb 3 are in scope; INV-2026-000001 issued Jan 10 is not.
create or replace temp table _documents as
with issued as (
    select
        'invoice' as document_kind,
        invoice_number as document_number,
        invoice_id,
        cast(null as bigint) as credit_note_id,
        customer_id,
        issue_date
    from ledger.invoice_documents
    where invoice_number is not null
    union all
    select
        'credit_note' as document_kind,
        credit_note_number as document_number,
        invoice_id,
        credit_note_id,
        customer_id,
        issue_date
    from ledger.credit_notes
)

select
    i.*,
    d.pdf_path,
    d.pdf_sha256,
    d.html_sha256
from issued as i
left join ledger.documents as d on i.document_number = d.document_number
where
    i.issue_date between cast($since as date) and cast($until as date)
    and (len($numbers) = 0 or list_contains($numbers, i.document_number));
