-- The check "auto collection attempted": open or late invoices of automatic-collection
-- customers, with money due, that Stripe was never asked to collect (no payment attempt and
-- no collected payment), counted by whether the customer has a usable payment method.
-- Example: C1 (auto, a working card) has INV-2026-000007 open for 60.00 and no attempt:
-- (true, 1, 1), a finding: collection forgot it.
-- Reads: marts.invoices, marts.customers, ledger.invoice_documents, ledger.payment_attempts,
-- ledger.collected_payments. Writes: nothing.
select
    m.has_usable_payment_method,
    count(distinct i.customer_id) as customers,
    count(*) as invoices
from marts.invoices as i
inner join ledger.invoice_documents as d on i.invoice_number = d.invoice_number
inner join marts.customers as m
    on i.customer_id = m.customer_id and i.currency = m.currency
where
    i.collection_method = 'auto'
    and i.status in ('open', 'late')
    and i.amount_due > 0
    and d.invoice_id not in (select a.invoice_id from ledger.payment_attempts as a)
    and d.invoice_id not in (select c.invoice_id from ledger.collected_payments as c)
group by m.has_usable_payment_method;
