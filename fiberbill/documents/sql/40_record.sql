-- Documents, step 40: record the documents just rendered (their files written and synced
-- first), once: a number already recorded is never recorded again.
-- Reads: temp table _rendered (document_number, document_kind, customer_id, issue_date,
-- pdf_path, pdf_sha256, html_sha256). Writes: ledger.documents.
-- Rule: INV-2026-000001 rendered twice (a crash before the record, then a rerun) is one
-- row.
insert into ledger.documents
select
    r.document_number,
    r.document_kind,
    r.customer_id,
    r.issue_date,
    r.pdf_path,
    r.pdf_sha256,
    r.html_sha256,
    now() as rendered_at
from _rendered as r
where r.document_number not in (select d.document_number from ledger.documents as d);
