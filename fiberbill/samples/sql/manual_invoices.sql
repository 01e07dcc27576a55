-- The invoices sample payments are made for: issued after $since (the previous payments
-- file's day; none: all) to customers who pay by other means than Stripe (manual
-- collection, or auto collection without a usable payment method, contract §2), open, late
-- or paid, with something to pay; with the last run day, the date the payments file is
-- named after.
-- Example: INV-2025-000012 (manual, open, 49.00) is listed; an auto customer's with a
-- working card is not.
-- Reads: marts.invoices, ledger.run_days. Writes: nothing.
select
    i.invoice_number,
    i.currency,
    i.issue_date,
    i.due_date,
    i.total,
    (select max(r.run_date) from ledger.run_days as r) as last_run_date
from marts.invoices as i
where
    (i.collection_method = 'manual' or i.payment_method is null)
    and i.status in ('open', 'late', 'paid')
    and i.total > 0
    and i.issue_date > coalesce(cast($since as date), date '0001-01-01')
order by i.invoice_number;
