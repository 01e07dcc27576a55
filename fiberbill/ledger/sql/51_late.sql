-- Step 51, late: of the invoices in `_scope`, those still owing money that are neither
-- void nor written off turn late today.
-- Reads: _scope, invoice_money. Writes: ledger.invoice_late.
-- Rule: 141.58 due Jan 24, 100.00 paid, 7 grace days: late on Feb 1 (41.58 owed).
insert into ledger.invoice_late
select
    invoice_id,
    $day as late_date
from ledger.invoice_money($day, '_scope')
where owed_cents > 0 and not is_void and not is_written_off
