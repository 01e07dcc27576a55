-- The ledger's shared definitions, kept in the warehouse (schema ledger) so that the
-- ledger's steps and the dbt marts read the same rule: what a manual payment must be to
-- count, and what an invoice still owes. Made by fiberbill.ledger.ensure_ledger.
-- Reads: the ledger's tables, staging.stg_inputs__payments, raw.load_batches
-- (which call loaded a manual payment). A step names the invoices it
-- is about as a table with a column invoice_id (`_scope`, or ledger.invoice_documents for
-- all of them). Writes: views and macros in schema ledger.

-- A whole number as text, zero-padded to at least `width` digits and never cut (DuckDB's
-- lpad cuts a longer text: lpad('1000000', 6, '0') is '100000').
-- padded(42, 6) = '000042'; padded(1234567, 6) = '1234567'.
create or replace macro ledger.padded(n_, width_) as
case
    when length(cast(n_ as varchar)) >= width_ then cast(n_ as varchar)
    else lpad(cast(n_ as varchar), width_, '0')
end;

-- A document number: prefix, year and a sequence per year of at least six digits.
-- document_number('INV', 2026, 42) = 'INV-2026-000042'; the millionth of a year is
-- 'INV-2026-1000000'.
create or replace macro ledger.document_number(prefix, year_, sequence_) as
prefix || '-' || cast(year_ as varchar) || '-' || ledger.padded(sequence_, 6);

-- The id that names an invoice while it is a draft (and after): draft_id(12) =
-- 'DRAFT-00000012' (`fiberbill invoices finalize DRAFT-00000012`).
create or replace macro ledger.draft_id(invoice_id_) as
'DRAFT-' || ledger.padded(invoice_id_, 8);

-- The sequence part of a document number: document_sequence('INV-2026-000042') = 42.
create or replace macro ledger.document_sequence(number_) as
cast(split_part(number_, '-', -1) as bigint);

-- Integer cents as money, exactly (as dbt's cents_to_money): money(14158) = 141.58.
create or replace macro ledger.money(cents_) as
cast(cast(cents_ as decimal(18, 0)) * 0.01 as decimal(18, 2));

-- How documents and the marts write a date and a service period, in English (the
-- ledger's one language; amounts and header dates are formatted per customer country by
-- fiberbill/documents). date_text(date '2026-01-05') = '5 Jan 2026';
-- period_text(date '2026-01-10', date '2026-01-31') = '10 Jan 2026 – 31 Jan 2026'.
create or replace macro ledger.date_text(day_) as strftime(day_, '%-d %b %Y');

create or replace macro ledger.period_text(start_, end_) as
ledger.date_text(start_) || ' – ' || ledger.date_text(end_);

-- A month as documents write it: month_text('2026-01') = 'Jan 2026'.
create or replace macro ledger.month_text(month_) as
strftime(cast(month_ || '-01' as date), '%b %Y');

-- A product on a line: product_text('Fiber 500', 'O84') = 'Fiber 500 (order O84)'.
create or replace macro ledger.product_text(name_, order_) as
coalesce(name_, 'Service') || ' (order ' || order_ || ')';

-- A charge on a line, as invoices and wholesale specs write it: a start fee, or a service
-- period with "prorated: 22 of 31 days" when it is part of its period.
-- charge_text('recurring', 'Fiber 500', 'O84', date '2026-01-10', date '2026-01-31', 22, 31)
-- = 'Fiber 500 (order O84), 10 Jan 2026 – 31 Jan 2026, prorated: 22 of 31 days'.
create or replace macro ledger.charge_text(kind_, name_, order_, start_, end_, days_, period_) as
case
    when kind_ = 'start_fee' then 'Start fee: ' || ledger.product_text(name_, order_)
    else
        ledger.product_text(name_, order_) || ', ' || ledger.period_text(start_, end_)
        || case
            when days_ < period_ then ', prorated: ' || days_ || ' of ' || period_ || ' days'
            else ''
        end
end;

-- What a promotion takes off: promotion_text('HALF3', 'percent', 50, 'EUR') =
-- 'Promotion HALF3, 50 % off'; a fixed 10 is 'Promotion TEN, 10.00 EUR off per month'.
create or replace macro ledger.promotion_text(code_, kind_, value_, currency_) as
'Promotion ' || code_ || ', ' || case kind_
    when 'percent'
        then rtrim(rtrim(cast(value_ as varchar), '0'), '.') || ' % off'
    else format('{:.2f}', cast(value_ as decimal(18, 2))) || ' ' || currency_ || ' off per month'
end;

-- Each manual payment checked against the ledger: it counts when it names an invoice
-- issued on or before the day it was received, in the invoice's currency; otherwise the
-- reason says why not. A payment of 10.00 received Jan 3 for an invoice issued Jan 5 is
-- rejected "invoice_number: no invoice 'INV-2026-000001' issued by 2026-01-03".
create or replace view ledger.manual_payment_checks as
select
    p.payment_id,
    p.invoice_number,
    p.amount_cents,
    p.currency,
    p.received_at,
    p.received_date,
    p.payment_method,
    p.batch_id,
    i.invoice_id,
    i.customer_id,
    case
        when i.invoice_id is null or i.issue_date > p.received_date
            then
                'invoice_number: no invoice ''' || p.invoice_number
                || ''' issued by ' || p.received_date
        when i.currency <> p.currency
            then
                'currency: ''' || p.currency || ''' differs from invoice '''
                || p.invoice_number || ''' in ' || i.currency
    end as rejection_reason
from staging.stg_inputs__payments as p
left join ledger.invoice_documents as i on p.invoice_number = i.invoice_number;

-- Manual payments that count, received by the run day.
create or replace macro ledger.valid_payments(as_of) as table
    select
        c.invoice_id,
        c.amount_cents,
        c.received_date
    from ledger.manual_payment_checks as c
    where c.rejection_reason is null and c.received_date <= as_of; -- noqa: RF02, RF03

-- Every change to the money an invoice has received, signed and dated: manual payments
-- that count, credit balance applied, Stripe collections, and each refund through Stripe
-- (negative from the run day it was planned; positive again on the run day Stripe said it
-- failed or was canceled). received_date is the day it counts; known_date the first run
-- day the ledger knew of it: a manual payment received Jan 3 but loaded by the call whose
-- first run day is Jan 10 is known on Jan 10 (the rule of every late row,
-- docs/data-contract.md); everything else is written by the run day it is dated.
-- What finance reads "as of a day" (dbt: int_invoices__money_events) and what the run days
-- count (ledger.received) are these same rows.
create or replace view ledger.received_events as
with refund_states as (
    select
        r.credit_note_id,
        r.invoice_id,
        r.amount_cents,
        r.run_date as state_date,
        true as is_given,
        cast(null as timestamptz) as state_at
    from ledger.stripe_refunds as r
    union all
    select
        r.credit_note_id,
        r.invoice_id,
        r.amount_cents,
        e.run_date as state_date,
        e.status not in ('failed', 'canceled') as is_given,
        e.journal_recorded_at as state_at
    from ledger.stripe_refund_events as e
    inner join ledger.stripe_refunds as r on e.credit_note_id = r.credit_note_id
),

refund_changes as (
    select
        invoice_id,
        amount_cents,
        state_date,
        is_given,
        lag(is_given, 1, false) over (
            partition by credit_note_id order by state_at asc nulls first
        ) as was_given
    from refund_states
)

select
    c.invoice_id,
    c.amount_cents,
    c.received_date,
    greatest(c.received_date, coalesce(b.first_run_day, c.received_date)) as known_date,
    'manual' as source
from ledger.manual_payment_checks as c
left join raw.load_batches as b on c.batch_id = b.batch_id
where c.rejection_reason is null
union all
select
    invoice_id,
    amount_cents,
    run_date as received_date,
    run_date as known_date,
    'credit_balance' as source
from ledger.balance_applications
union all
select
    invoice_id,
    amount_cents,
    received_date,
    received_date as known_date,
    'stripe' as source
from ledger.collected_payments
union all
select
    invoice_id,
    case when is_given then -amount_cents else amount_cents end as amount_cents,
    state_date as received_date,
    state_date as known_date,
    'refund' as source
from refund_changes
where is_given <> was_given;

-- Money received for each invoice by the run day, signed (ledger.received_events).
create or replace macro ledger.received(as_of) as table
    select
        e.invoice_id,
        e.amount_cents,
        e.received_date
    from ledger.received_events as e
    where e.received_date <= as_of; -- noqa: RF02, RF03

-- Where each invoice of `scope` (the name of a table with a column invoice_id) stands on
-- the run day: its total, money received and credited, and what it still owes. An invoice
-- of 141.58 (tax included) with a payment of 100.00 and a credit note of 20.00 owes 21.58.
create or replace macro ledger.invoice_money(as_of, scope) as table
    with in_scope as (
        select s.invoice_id from query_table(scope) as s -- noqa: RF02, RF03
    ),

    received_ as (
        select
            invoice_id,
            sum(amount_cents) as received_cents
        from ledger.received(as_of)
        where invoice_id in (select s.invoice_id from in_scope as s)
        group by all
    ),

    credited as (
        select
            invoice_id,
            sum(amount_cents) as credited_cents
        from ledger.credit_notes
        where
            invoice_id in (select s.invoice_id from in_scope as s)
            and issue_date <= as_of
        group by all
    ),

    lines as (
        select
            invoice_id,
            sum(amount_cents) as line_cents,
            bool_and(kind = 'late_fee') as only_late_fees
        from ledger.invoice_lines
        where invoice_id in (select s.invoice_id from in_scope as s)
        group by all
    )

    select
        d.*,
        coalesce(l.line_cents, 0) + d.tax_cents as total_cents,
        coalesce(r.received_cents, 0) as received_cents,
        coalesce(c.credited_cents, 0) as credited_cents,
        coalesce(l.line_cents, 0) + d.tax_cents - coalesce(r.received_cents, 0)
        - coalesce(c.credited_cents, 0) as owed_cents,
        coalesce(l.only_late_fees, false) as only_late_fees,
        d.invoice_id in (select v.invoice_id from ledger.invoice_voids as v) as is_void,
        d.invoice_id in (select w.invoice_id from ledger.invoice_writeoffs as w) as is_written_off,
        d.invoice_id in (select lt.invoice_id from ledger.invoice_late as lt) as is_late
    from ledger.invoice_documents as d
    left join received_ as r using (invoice_id)
    left join credited as c using (invoice_id)
    left join lines as l using (invoice_id)
    where d.invoice_id in (select s.invoice_id from in_scope as s);

-- Stripe payments still processing on the run day, per invoice (SEPA and ACH take days).
create or replace macro ledger.processing(as_of) as table
    select invoice_id from ledger.payment_attempts
    where run_date <= as_of
    qualify
        row_number() over (partition by attempt_key order by event_id desc) = 1
        and status = 'processing';
