-- The customer portal's "pay now" attempts and Stripe links, copied into the journal once
-- (fiberbill/portal/payments.py): from then on they are attempts like collection's own,
-- reconciled if a crash left them unresolved and mirrored into the ledger.
-- Reads: temp tables _portal_attempts, _portal_events, _portal_links (the store's rows
-- after journal.portal_offsets), $day. Writes: journal.attempts, journal.attempt_events,
-- journal.customer_links, journal.portal_offsets.
-- Rule: attempt C1|EUR|2026-01-10#portal-1 succeeded in the portal on Feb 3 is an
-- attempt of that invoice with its PaymentIntent, seen on the run day it is copied.
insert into journal.attempts (
    attempt_key, invoice_number, attempt_no, customer_id, currency, amount_cents, method,
    stripe_payment_method_id, stripe_customer_id, run_date, recorded_at,
    invoice_created_date
)
select
    a.attempt_key,
    a.invoice_number,
    0 as attempt_no,
    a.customer_id,
    a.currency,
    a.amount_cents,
    a.method,
    a.stripe_payment_method_id,
    a.stripe_customer_id,
    cast($day as date) as run_date,
    cast(a.recorded_at as timestamptz) as recorded_at,
    cast(a.invoice_created_date as date) as invoice_created_date
from _portal_attempts as a
where a.attempt_key not in (select j.attempt_key from journal.attempts as j)
order by a.seq;

insert into journal.attempt_events
select
    (select coalesce(max(x.event_id), 0) from journal.attempt_events as x)
    + row_number() over (order by e.seq) as event_id,
    e.attempt_key,
    e.payment_intent_id,
    e.status,
    e.failure_reason,
    cast($day as date) as run_date,
    cast(e.recorded_at as timestamptz) as recorded_at
from _portal_events as e;

insert into journal.customer_links
select
    l.customer_id,
    l.step,
    l.stripe_customer_id,
    l.stripe_payment_method_id,
    'customer portal' as detail,
    cast($day as date) as run_date,
    cast(l.recorded_at as timestamptz) as recorded_at
from _portal_links as l
where not exists (
    select 1 from journal.customer_links as j
    where
        j.customer_id = l.customer_id and j.step = l.step
        and j.stripe_payment_method_id is not distinct from l.stripe_payment_method_id
);

insert into journal.portal_offsets
select
    greatest(
        (select coalesce(max(o.attempt_seq), 0) from journal.portal_offsets as o),
        (select coalesce(max(a.seq), 0) from _portal_attempts as a)
    ) as attempt_seq,
    greatest(
        (select coalesce(max(o.event_seq), 0) from journal.portal_offsets as o),
        (select coalesce(max(e.seq), 0) from _portal_events as e)
    ) as event_seq,
    greatest(
        (select coalesce(max(o.link_seq), 0) from journal.portal_offsets as o),
        (select coalesce(max(l.seq), 0) from _portal_links as l)
    ) as link_seq,
    now() as recorded_at;
