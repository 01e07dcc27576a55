-- The ledger's shared definitions, as temporary macros of the connection (made by
-- fiberbill.ledger.prepare before any step runs).
-- Reads: the ledger's tables, staging.stg_inputs__payments, and `_scope` (one column
-- invoice_id: the invoices a step is about; each step fills it first).
-- Writes: nothing.

create temp table if not exists _scope (invoice_id bigint);

-- A document number: prefix, year and a six-digit sequence per year.
-- document_number('INV', 2026, 42) = 'INV-2026-000042'
create or replace temp macro document_number(prefix, year_, sequence_) as
prefix || '-' || cast(year_ as varchar) || '-' || lpad(cast(sequence_ as varchar), 6, '0');

-- The sequence part of a document number: document_sequence('INV-2026-000042') = 42.
create or replace temp macro document_sequence(number_) as
cast(split_part(number_, '-', -1) as bigint);

-- Manual payments that count: they name an issued invoice, in its currency, received on or
-- after its issue day and by the run day. A payment of 10.00 received Jan 3 for an invoice
-- issued Jan 5 counts for nothing (marts.rejected_rows says why).
create or replace temp macro valid_payments(as_of) as table
    select
        i.invoice_id,
        p.amount_cents,
        p.received_date
    from staging.stg_inputs__payments as p
    inner join ledger.invoice_documents as i
        on p.invoice_number = i.invoice_number and p.currency = i.currency
    where p.received_date between i.issue_date and as_of; -- noqa: RF02

-- Money received for each invoice by the run day, signed: manual payments, credit balance
-- applied, Stripe collections, less refunds through Stripe that were not refused.
create or replace temp macro received(as_of) as table
    select
        invoice_id,
        amount_cents,
        received_date
    from valid_payments(as_of)
    union all
    select
        invoice_id,
        amount_cents,
        run_date
    from ledger.balance_applications
    union all
    select
        invoice_id,
        amount_cents,
        received_date
    from ledger.collected_payments
    where received_date <= as_of
    union all
    select
        invoice_id,
        -amount_cents as amount_cents,
        run_date
    from ledger.refund_status
    where is_given;

-- Where each invoice in `_scope` stands on the run day: its total, money received and
-- credited, and what it still owes. An invoice of 141.58 (tax included) with a payment of
-- 100.00 and a credit note of 20.00 owes 21.58.
create or replace temp macro invoice_money(as_of) as table
    with received_ as (
        select
            invoice_id,
            sum(amount_cents) as received_cents
        from received(as_of)
        where invoice_id in (select s.invoice_id from _scope as s)
        group by all
    ),

    credited as (
        select
            invoice_id,
            sum(amount_cents) as credited_cents
        from ledger.credit_notes
        where invoice_id in (select s.invoice_id from _scope as s)
        group by all
    ),

    lines as (
        select
            invoice_id,
            sum(amount_cents) as line_cents,
            bool_and(kind = 'late_fee') as only_late_fees
        from ledger.invoice_lines
        where invoice_id in (select s.invoice_id from _scope as s)
        group by all
    )

    select
        d.*,
        coalesce(l.line_cents, 0) + d.tax_cents as total_cents,
        coalesce(r.received_cents, 0) as received_cents,
        coalesce(c.credited_cents, 0) as credited_cents,
        coalesce(l.line_cents, 0) + d.tax_cents - coalesce(r.received_cents, 0)
        - coalesce(c.credited_cents, 0) as owed_cents,
        coalesce(l.only_late_fees, false) as only_late_fees,
        d.invoice_id in (select v.invoice_id from ledger.invoice_voids as v) as is_void,
        d.invoice_id in (select w.invoice_id from ledger.invoice_writeoffs as w) as is_written_off,
        d.invoice_id in (select lt.invoice_id from ledger.invoice_late as lt) as is_late
    from ledger.invoice_documents as d
    left join received_ as r using (invoice_id)
    left join credited as c using (invoice_id)
    left join lines as l using (invoice_id)
    where d.invoice_id in (select s.invoice_id from _scope as s);

-- Stripe payments still processing on the run day, per invoice (SEPA and ACH take days).
create or replace temp macro processing(as_of) as table
    select invoice_id from ledger.payment_attempts
    where run_date <= as_of
    qualify
        row_number() over (partition by attempt_key order by event_id desc) = 1
        and status = 'processing';
