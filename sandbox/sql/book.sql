-- The demo's book as a few lines of text: invoices by status, late fees and what they were
-- charged on, invoices paid by each route.
-- Reads: marts.invoices, marts.invoice_lines, marts.payments, ledger.invoice_documents,
-- ledger.invoice_status_history. Writes: nothing.
with

invoices as (
    select
        status,
        count(*) as n
    from marts.invoices
    where invoice_number is not null
    group by status
),

issued as (
    select sum(n) as n from invoices
),

ever_late as (
    select distinct d.invoice_number
    from ledger.invoice_status_history as h
    inner join ledger.invoice_documents as d on h.invoice_id = d.invoice_id
    where h.status = 'late'
),

fees as (
    select
        count(*) as n,
        count(*) filter (
            where l.ref_invoice_number in (select e.invoice_number from ever_late as e)
        ) as on_late,
        count(distinct l.invoice_number) filter (
            where not exists (
                select 1 from marts.invoice_lines as o
                where o.invoice_number = l.invoice_number and o.kind <> 'late_fee'
            )
        ) as own_invoices
    from marts.invoice_lines as l
    where l.kind = 'late_fee'
),

payments as (
    select
        count(distinct invoice_number) filter (
            where source = 'stripe' and status = 'succeeded' and method = 'card'
        ) as cards,
        count(distinct invoice_number) filter (
            where source = 'stripe' and status = 'succeeded' and method = 'sepa_debit'
        ) as sepa,
        count(distinct invoice_number) filter (
            where source = 'stripe' and status = 'succeeded' and method = 'us_bank_account'
        ) as ach,
        count(distinct invoice_number) filter (
            where source = 'stripe' and status = 'failed'
        ) as stripe_not,
        count(distinct invoice_number) filter (where source = 'manual') as manual
    from marts.payments
)

select
    1 as sort_order,
    format('invoices: {:,} issued', n) as text_line
from issued
union all
select
    2 as sort_order,
    '  ' || string_agg(
        format('{} {:,} ({:.1f} %)', status, n, 100.0 * n / (select i.n from issued as i)),
        ', ' order by n desc
    ) as text_line
from invoices
union all
select
    3 as sort_order,
    format(
        'late fees: {:,}, {:,} of them on an invoice that turned late; {:,} on an invoice '
        || 'of their own',
        n,
        on_late,
        own_invoices
    ) as text_line
from fees
union all
select
    4 as sort_order,
    format(
        'paid through Stripe: {:,} invoices by card, {:,} by SEPA debit, {:,} by ACH; {:,} '
        || 'invoices had a charge declined or failed; {:,} invoices paid by transfer',
        cards,
        sepa,
        ach,
        stripe_not,
        manual
    ) as text_line
from payments
order by sort_order;
