-- Step 42, credit notes: one per invoice credited today (unless voided), tax included,
-- numbered on from the year's last credit note in invoice number order; each credit is
-- allocated to the note of its invoice.
-- Reads: _effect, _alloc, ledger.invoice_documents, ledger.invoice_voids,
-- ledger.credit_notes. Writes: temp table _credit_notes, ledger.credit_notes,
-- ledger.credit_allocations.
-- Rule: the year's first two credit notes on Mar 2 2026, for invoices INV-2026-000007 and
-- INV-2026-000009, are CN-2026-000001 and CN-2026-000002. A termination gives reason
-- termination_refund, any other credit correction.
create or replace temp table _credit_notes as
with last_used as (
    select
        coalesce(max(credit_note_id), 0) as last_id,
        coalesce(max(ledger.document_sequence(credit_note_number)) filter (
            where credit_note_number like $credit_note_prefix || '-' || year($day) || '-%'
        ), 0) as last_sequence
    from ledger.credit_notes
),

credited as (
    select
        e.invoice_id,
        i.invoice_number,
        i.customer_id,
        e.before_total - e.after_total as amount_cents,
        i.currency,
        case when e.is_ended then 'termination_refund' else 'correction' end as reason,
        row_number() over (order by i.invoice_number, e.invoice_id) as rank_today
    from _effect as e
    inner join ledger.invoice_documents as i using (invoice_id)
    where
        e.invoice_id not in (select v.invoice_id from ledger.invoice_voids as v)
        and e.before_total > e.after_total
)

select
    u.last_id + c.rank_today as credit_note_id,
    ledger.document_number($credit_note_prefix, year($day), u.last_sequence + c.rank_today)
        as credit_note_number,
    c.invoice_id,
    c.customer_id,
    cast($day as date) as issue_date,
    c.reason,
    c.amount_cents,
    c.currency
from credited as c cross join last_used as u;

insert into ledger.credit_notes select * from _credit_notes;

insert into ledger.credit_allocations
select
    c.credit_note_id,
    a.invoice_id,
    a.order_id,
    a.charge_key,
    a.tax_rate,
    a.amount_cents,
    $day as run_date
from _alloc as a inner join _credit_notes as c using (invoice_id);
