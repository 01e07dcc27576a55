-- Step 55, the late invoices whose late fee is not decided yet: no late fee line refers to
-- them and no waiver was recorded.
-- Reads: ledger.invoice_late, ledger.invoice_lines, ledger.late_fee_waivers. Writes: _scope.
create or replace temp table _scope as
select invoice_id from ledger.invoice_late
where
    invoice_id not in (
        select l.ref_invoice_id from ledger.invoice_lines as l
        where l.kind = 'late_fee' and l.ref_invoice_id is not null
    )
    and invoice_id not in (select w.invoice_id from ledger.late_fee_waivers as w)
