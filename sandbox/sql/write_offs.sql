-- The invoices the demo writes off: still late $days days after their due date, as of the
-- last run day.
-- Example: due 2025-09-15 and still late on 2026-02-15 (153 days): written off.
-- Reads: marts.invoices, ledger.run_days. Writes: nothing.
select i.invoice_number
from marts.invoices as i
where
    i.status = 'late'
    and i.due_date + cast($days as integer)
    < (select max(r.run_date) from ledger.run_days as r)
order by i.invoice_number;
