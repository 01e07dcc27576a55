-- Delivery, step 50: the recorded documents to e-mail now, oldest first: those never tried,
-- and those whose last attempt failed (retried on every run). A document sent is never
-- sent again, and neither is one whose last attempt was interrupted (`sending` with no
-- outcome: the mail server may have taken it), which is reported instead.
-- Reads: ledger.documents, ledger.document_deliveries, staging.stg_inputs__customers,
-- intermediate.int_customers__preferences (the invoice e-mail in force, portal included).
-- Writes: temp table _unconfirmed; returns the documents to send (document_number,
-- document_kind, recipient, customer_name, pdf_path, pdf_sha256).
-- Rule: INV-2026-000001 sent Jan 10 is not sent again; INV-2026-000002 that failed Jan 10
-- ("550 mailbox unavailable") is tried again on the next run.
create or replace temp table _last_attempt as
select
    document_number,
    status
from ledger.document_deliveries
qualify row_number() over (partition by document_number order by recorded_at desc) = 1;

create or replace temp table _unconfirmed as
select document_number from _last_attempt
where status = 'sending';

select
    d.document_number,
    d.document_kind,
    p.invoice_email as recipient,
    c.customer_name,
    d.pdf_path,
    d.pdf_sha256
from ledger.documents as d
inner join staging.stg_inputs__customers as c on d.customer_id = c.customer_id
inner join intermediate.int_customers__preferences as p on d.customer_id = p.customer_id
left join _last_attempt as a on d.document_number = a.document_number
where
    coalesce(trim(p.invoice_email), '') <> ''
    and coalesce(a.status, 'failed') = 'failed'
order by d.issue_date, d.document_number;
