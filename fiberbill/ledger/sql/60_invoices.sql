-- Step 60, invoices: today's new lines become one invoice per customer and currency,
-- numbered on from the year's last invoice number in (customer_id, currency) order, or left
-- as drafts without a number when auto_finalize is off. Each invoice's tax is rounded once
-- per tax rate, half away from zero.
-- Reads: _new_lines, ledger.invoices, ledger.invoice_documents, settings $invoice_prefix,
-- $auto_finalize, $payment_terms_days. Writes: temp table _invoices, ledger.invoice_lines,
-- ledger.invoice_taxes (tax per rate), ledger.invoices.
-- Rule: the year's first invoices on Jan 10 2026 for customers C1 and C2 are
-- INV-2026-000001 and INV-2026-000002, due Jan 24 with 14 days' terms. Lines of 42.58 and
-- -21.29 at 25 % give tax 5.32 (21.29 x 0.25 = 5.3225).
create or replace temp table _invoices as
with last_used as (
    select
        (select coalesce(max(i.invoice_id), 0) from ledger.invoices as i) as last_id,
        coalesce(max(ledger.document_sequence(invoice_number)) filter (
            where invoice_number like $invoice_prefix || '-' || year($day) || '-%'
        ), 0) as last_sequence
    from ledger.invoice_documents
),

customers as (
    select distinct
        customer_id,
        currency
    from _new_lines
),

billed as (
    select
        customer_id,
        currency,
        row_number() over (order by customer_id, currency) as rank_today
    from customers
)

select
    u.last_id + b.rank_today as invoice_id,
    case
        when $auto_finalize
            then ledger.document_number($invoice_prefix, year($day), u.last_sequence + b.rank_today)
    end as invoice_number,
    b.customer_id,
    b.currency
from billed as b cross join last_used as u;

insert into ledger.invoice_lines
select
    i.invoice_id,
    row_number() over (
        partition by i.invoice_id
        order by
            l.order_id asc, l.charge_key = 'start_fee' desc, l.charge_key,
            l.sort_order asc, l.ref_invoice_id asc
    ) as line_number,
    l.order_id,
    l.charge_key,
    l.customer_id,
    l.product_id,
    l.provider_id,
    l.kind,
    l.service_start,
    l.service_end,
    l.days,
    l.period_days,
    l.amount_cents,
    l.tax_rate,
    l.currency,
    l.ref_invoice_id,
    l.description
from _new_lines as l inner join _invoices as i using (customer_id, currency);

insert into ledger.invoice_taxes
select
    invoice_id,
    tax_rate,
    sum(amount_cents) as base_cents,
    cast(round(sum(amount_cents) * tax_rate, 0) as bigint) as tax_cents
from ledger.invoice_lines
where invoice_id in (select i.invoice_id from _invoices as i)
group by invoice_id, tax_rate;

insert into ledger.invoices
with tax as (
    select
        invoice_id,
        sum(tax_cents) as tax_cents
    from ledger.invoice_taxes
    where invoice_id in (select i.invoice_id from _invoices as i)
    group by invoice_id
)

select
    i.invoice_id,
    i.invoice_number,
    i.customer_id,
    i.currency,
    $day as created_date,
    case when i.invoice_number is not null then cast($day as date) end as issue_date,
    case
        when i.invoice_number is not null then cast($day as date) + $payment_terms_days
    end as due_date,
    coalesce(t.tax_cents, 0) as tax_cents
from _invoices as i left join tax as t using (invoice_id);
