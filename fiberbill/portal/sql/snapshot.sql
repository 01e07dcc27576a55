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
-- next_invoices, payment_methods, pages (each customer's pages as one JSON document); and
-- for the operator's lists (fiberbill/admin), marts.invoices, marts.customers and
-- marts.invoice_lines (its draft_id and provider_id only).
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

-- One row per customer with everything the overview, invoices and methods pages show, as
-- one JSON document: a page is one lookup, whatever the number of customers.
create table pages as
with

balance_rows as (
    select
        b.customer_id,
        list(b order by b.currency) as balance_list
    from balances as b
    group by b.customer_id
),

invoice_rows as (
    select
        i.customer_id,
        list(i order by i.issue_date desc, i.invoice_number desc) as invoice_list
    from invoices as i
    group by i.customer_id
),

credit_note_rows as (
    select
        n.customer_id,
        list(n order by n.issue_date desc, n.credit_note_number desc) as credit_note_list
    from credit_notes as n
    group by n.customer_id
),

service_rows as (
    select
        s.customer_id,
        list(s order by s.start_date, s.order_id) as service_list
    from services as s
    group by s.customer_id
),

next_rows as (
    select
        x.customer_id,
        list(x order by x.currency) as next_list
    from next_invoices as x
    group by x.customer_id
),

method_rows as (
    select
        m.customer_id,
        list(m order by m.payment_method_id) as method_list
    from payment_methods as m
    group by m.customer_id
)

select
    c.customer_id,
    -- 'customer': the whole row of customers, as a struct
    to_json({
        'customer': c,  -- noqa: RF02
        'balances': coalesce(b.balance_list, []),
        'invoices': coalesce(i.invoice_list, []),
        'credit_notes': coalesce(n.credit_note_list, []),
        'services': coalesce(s.service_list, []),
        'next_invoices': coalesce(x.next_list, []),
        'methods': coalesce(m.method_list, [])
    }) as page
from customers as c
left join balance_rows as b on c.customer_id = b.customer_id
left join invoice_rows as i on c.customer_id = i.customer_id
left join credit_note_rows as n on c.customer_id = n.customer_id
left join service_rows as s on c.customer_id = s.customer_id
left join next_rows as x on c.customer_id = x.customer_id
left join method_rows as m on c.customer_id = m.customer_id
order by c.customer_id;

-- a customer's rows are found through an index (a point lookup stays under a millisecond
-- at 100,000 customers, where a scan of the column takes several)
create unique index pages_customer on pages (customer_id);

create unique index customers_customer on customers (customer_id);

create index invoices_customer on invoices (customer_id);

create index credit_notes_customer on credit_notes (customer_id);

-- The operator's lists (`fiberbill invoices list`, `customers list`, fiberbill/admin) read
-- these, so that they answer while a run writes the warehouse: the two marts whole, under
-- their own names, and of marts.invoice_lines only which provider each draft bills for
-- (the --provider filter).
create schema marts;

create table marts.invoices as
select * from src.marts.invoices;

create table marts.customers as
select * from src.marts.customers;

create table marts.invoice_lines as
select distinct
    l.draft_id,
    l.provider_id
from src.marts.invoice_lines as l;
