-- Chargeable invoices: the open invoices of auto-collection customers that still owe money
-- on the run day, with the customer's usable payment method and the invoice's key (what
-- cannot move: customer, currency and the day the invoice was created).
-- Reads: ledger.invoice_status_history, ledger.invoice_documents, invoice_money,
-- staging.stg_inputs__customers, intermediate.int_customers__preference_ranges and
-- intermediate.int_customers__payment_method_ranges (what is in force on the run day,
-- changes made in the customer portal included).
-- Writes: _scope, temp table _chargeable.
-- Rule: C1 (auto, card) with INV-2026-000001 open, 141.58 owed, is charged 141.58 under
-- key C1|EUR|2026-01-10; a manual customer, a paid invoice or a customer without a usable
-- method is not charged. A customer who switched to auto in the portal on Mar 5 is
-- charged from Mar 5 on for every invoice still open then.
create or replace temp table _scope as
select h.invoice_id
from ledger.invoice_status_history as h
inner join ledger.invoice_documents using (invoice_id)
inner join intermediate.int_customers__preference_ranges as p using (customer_id)
where
    p.preference_field = 'collection_method' and p.preference_value = 'auto'
    and p.valid_from_date <= $day and $day < p.valid_to_date
qualify
    row_number() over (partition by h.invoice_id order by h.history_id desc) = 1
    and h.status = 'open';

create or replace temp table _chargeable as
select
    m.invoice_id,
    m.invoice_number,
    m.customer_id,
    m.currency,
    m.owed_cents,
    pm.payment_method_type as method,
    pm.stripe_payment_method_id,
    c.customer_name,
    m.created_date,
    m.customer_id || '|' || m.currency || '|' || strftime(m.created_date, '%Y-%m-%d')
        as invoice_key
from ledger.invoice_money($day, '_scope') as m
inner join intermediate.int_customers__payment_method_ranges as pm using (customer_id)
inner join staging.stg_inputs__customers as c using (customer_id)
where
    m.owed_cents > 0 and pm.is_usable
    and pm.valid_from_date <= $day and $day < pm.valid_to_date;
