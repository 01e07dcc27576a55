-- The Stripe journal (a DuckDB file beside the warehouse, attached as `journal`): what was
-- asked of Stripe and what it answered, written before and after each call so a crash at
-- any point is finished by the next run, never repeated. Append-only.
-- Reads: nothing. Writes: schema journal (created if missing; columns added, never
-- altered), temp view _latest_attempts.
create table if not exists journal.meta (install_id varchar, created_at timestamptz);

-- test | live: the Stripe mode of the key the journal was written with
alter table journal.meta add column if not exists stripe_mode varchar;

-- step: customer_created | method_attached | method_declined
create table if not exists journal.customer_links (
    customer_id varchar,
    step varchar,
    stripe_customer_id varchar,
    stripe_payment_method_id varchar,
    detail varchar,
    run_date date,
    recorded_at timestamptz
);

create table if not exists journal.attempts (
    attempt_key varchar,
    invoice_number varchar,
    attempt_no integer,
    customer_id varchar,
    currency varchar,
    amount_cents bigint,
    method varchar,
    stripe_payment_method_id varchar,
    stripe_customer_id varchar,
    run_date date,
    recorded_at timestamptz
);

-- An attempt belongs to the invoice of (customer_id, currency, invoice_created_date):
-- one invoice per customer, currency and run day, whatever number a replay gives it.
alter table journal.attempts add column if not exists invoice_created_date date;

-- status: pending (created, not confirmed) | processing | succeeded | failed
create table if not exists journal.attempt_events (
    event_id bigint,
    attempt_key varchar,
    payment_intent_id varchar,
    status varchar,
    failure_reason varchar,
    run_date date,
    recorded_at timestamptz
);

create table if not exists journal.refunds (
    refund_key varchar,
    credit_note_number varchar,
    invoice_number varchar,
    payment_intent_id varchar,
    amount_cents bigint,
    target_refunded_cents bigint,
    run_date date,
    recorded_at timestamptz
);

-- the invoice a refund gives back on, and the credit note's issue day (its identity)
alter table journal.refunds add column if not exists customer_id varchar;

alter table journal.refunds add column if not exists currency varchar;

alter table journal.refunds add column if not exists invoice_created_date date;

alter table journal.refunds add column if not exists credit_note_date date;

create table if not exists journal.refund_events (
    refund_key varchar,
    refund_id varchar,
    status varchar,
    detail varchar,
    run_date date,
    recorded_at timestamptz
);

create table if not exists journal.webhook_events (
    event_id varchar,
    event_type varchar,
    payment_intent_id varchar,
    status varchar,
    failure_reason varchar,
    received_at timestamptz
);

create table if not exists journal.inbox_offsets (
    byte_offset bigint,
    recorded_at timestamptz
);

-- How far the customer portal's store (fiberbill/portal/store.py) has been copied: its
-- pay_attempts, pay_events and stripe_links up to these sequence numbers
create table if not exists journal.portal_offsets (
    attempt_seq bigint,
    event_seq bigint,
    link_seq bigint,
    recorded_at timestamptz
);

-- Each attempt's latest state in the journal, whatever day it was recorded ('planned' when
-- Stripe was not asked yet).
create or replace temp view _latest_attempts as
select
    a.*,
    e.payment_intent_id,
    coalesce(e.status, 'planned') as status,
    e.failure_reason,
    e.run_date as status_date
from journal.attempts as a
left join (
    select * from journal.attempt_events
    qualify row_number() over (partition by attempt_key order by event_id desc) = 1
) as e using (attempt_key);
