-- The portal's snapshot: what the customer portal shows, copied from the warehouse (attached
-- read-only as `w`) into a new file that replaces the published one atomically
-- (fiberbill/portal/snapshot.py). Every table is sorted by customer_id, so a customer's
-- rows are found by the zone maps without scanning the rest.
-- Reads: src.marts.customers, src.marts.invoices, src.marts.credit_notes,
-- src.marts.customer_services, src.marts.customer_next_invoices, src.ledger.documents,
-- src.staging.stg_inputs__customers, src.intermediate.int_customers__payment_method,
-- src.intermediate.int_payment_methods__states, src.ledger.run_days, src.raw (the portal rows
-- loaded), _stripe_customers (the journal's Stripe customers, or none).
-- Writes: tables meta, customers, balances, invoices, credit_notes, services,
-- next_invoices, payment_methods.
-- Rule: a customer sees only their own rows: the portal queries every table by the
-- session's customer_id.
create table meta as
select
    (select max(d.run_date) from src.ledger.run_days as d) as last_run_day,
    now() as published_at,
    cast($install_id as varchar) as install_id,
    cast($exports_dir as varchar) as exports_dir,
    cast($operator_name as varchar) as operator_name,
    cast($operator_email as varchar) as operator_email,
    (
        select coalesce(max(r), 0) from (
            select max(p._row_number) as r from src.raw.preference_changes as p
            where p._file = 'portal'
            union all
            select max(m._row_number) as r from src.raw.payment_method_changes as m
            where m._file = 'portal'
            union all
            select max(x.row_number) as r from src.raw.rejected_rows as x
            where
                x.file = 'portal'
                and x.source in ('preference_changes', 'payment_method_changes')
        ) as loaded
    ) as portal_seq;

create table customers as
select
    c.customer_id,
    c.customer_name as name,
    c.country,
    m.collection_method,
    m.email as invoice_email,
    m.has_usable_payment_method,
    pm.payment_method_id as default_payment_method_id,
    pm.payment_method_type as default_payment_method_type,
    pm.payment_method_last4 as default_payment_method_last4,
    s.stripe_customer_id
from src.staging.stg_inputs__customers as c
inner join (
    select
        customer_id,
        any_value(collection_method) as collection_method,
        any_value(email) as email,
        bool_or(has_usable_payment_method) as has_usable_payment_method
    from src.marts.customers
    group by customer_id
) as m on c.customer_id = m.customer_id
left join src.intermediate.int_customers__payment_method as pm
    on c.customer_id = pm.customer_id
left join _stripe_customers as s on c.customer_id = s.customer_id
order by c.customer_id;

create table balances as
select
    customer_id,
    currency,
    open_invoices,
    late_invoices,
    outstanding_amount,
    credit_balance,
    payment_status
from src.marts.customers
where currency is not null
order by customer_id, currency;

create table invoices as
select
    i.customer_id,
    i.invoice_number,
    i.currency,
    i.issue_date,
    i.due_date,
    i.created_date,
    i.total,
    i.amount_paid,
    i.amount_credited,
    i.amount_due,
    i.status,
    d.pdf_path
from src.marts.invoices as i
left join src.ledger.documents as d on i.invoice_number = d.document_number
where i.invoice_number is not null
order by i.customer_id asc, i.issue_date desc, i.invoice_number desc;

create table credit_notes as
select
    n.customer_id,
    n.credit_note_number,
    n.invoice_number,
    n.issue_date,
    n.amount,
    n.currency,
    n.reason,
    d.pdf_path
from src.marts.credit_notes as n
left join src.ledger.documents as d on n.credit_note_number = d.document_number
order by n.customer_id asc, n.issue_date desc, n.credit_note_number desc;

create table services as
select * from src.marts.customer_services
order by customer_id, start_date, order_id;

create table next_invoices as
select * from src.marts.customer_next_invoices
order by customer_id, currency;

create table payment_methods as
select
    s.customer_id,
    s.payment_method_id,
    s.payment_method_type,
    s.payment_method_last4,
    s.stripe_payment_method_id,
    coalesce(s.payment_method_id = pm.payment_method_id, false) as is_default
from src.intermediate.int_payment_methods__states as s
left join src.intermediate.int_customers__payment_method as pm
    on s.customer_id = pm.customer_id
where
    s.payment_method_status = 'active'
    and s.valid_from_date <= (select max(d.run_date) from src.ledger.run_days as d)
    and (select max(d.run_date) from src.ledger.run_days as d) < s.valid_to_date
order by s.customer_id, s.payment_method_id;
