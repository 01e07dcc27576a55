-- Mirror: copy into the ledger every journal event it does not hold yet, on run day $day.
-- An event is identified by itself (the journal's event id, the PaymentIntent of a
-- success, the refund's answer, the declined method), not by its day: an event the journal
-- recorded for a day whose ledger a crash threw away, or that a call without collection
-- did not copy, is copied on the first run day after, so collected money is never dropped.
-- An attempt (a refund) belongs to the invoice of its customer, currency and creation day;
-- journals written before attempts carried that day name it by number.
-- Reads: journal (attached), ledger.invoice_documents, ledger.credit_notes and the ledger's
-- collection tables. Writes: ledger.payment_attempts, ledger.collected_payments,
-- ledger.balance_events, ledger.stripe_refund_events, ledger.payment_method_declines.
-- Rule: money collected for an invoice a replay did not issue again (new input removed
-- what was due) becomes the customer's credit balance, never lost.
alter table ledger.payment_attempts add column if not exists journal_event_id bigint;

create or replace temp table _journal_events as
select
    e.event_id,
    e.attempt_key,
    e.payment_intent_id,
    e.status,
    e.failure_reason,
    a.attempt_no,
    a.method,
    a.amount_cents,
    a.currency,
    a.customer_id,
    d.invoice_id
from journal.attempt_events as e
inner join journal.attempts as a using (attempt_key)
left join ledger.invoice_documents as d
    on
        (
            a.customer_id = d.customer_id and a.currency = d.currency
            and a.invoice_created_date = d.created_date
        )
        or (a.invoice_created_date is null and a.invoice_number = d.invoice_number)
where
    e.run_date <= $day
    and (
        e.event_id not in (
            select p.journal_event_id from ledger.payment_attempts as p
            where p.journal_event_id is not null
        )
        or (
            e.status = 'succeeded'
            and e.payment_intent_id not in (
                select c.payment_id from ledger.collected_payments as c
            )
        )
    );

insert into ledger.payment_attempts (
    event_id, attempt_key, invoice_id, attempt_no, method, payment_intent_id, status,
    failure_reason, amount_cents, run_date, journal_event_id
)
select
    (select coalesce(max(p.event_id), 0) from ledger.payment_attempts as p)
    + row_number() over (order by e.event_id) as event_id,
    e.attempt_key,
    e.invoice_id,
    e.attempt_no,
    e.method,
    e.payment_intent_id,
    e.status,
    e.failure_reason,
    e.amount_cents,
    cast($day as date) as run_date,
    e.event_id as journal_event_id
from _journal_events as e
where e.event_id not in (
    select p.journal_event_id from ledger.payment_attempts as p
    where p.journal_event_id is not null
);

create or replace temp table _collected as
select
    payment_intent_id,
    invoice_id,
    amount_cents,
    currency,
    method,
    cast($day as date) as received_date,
    cast(cast($day as date) as timestamptz) as received_at,
    customer_id
from _journal_events
where
    status = 'succeeded'
    and payment_intent_id not in (select c.payment_id from ledger.collected_payments as c)
qualify row_number() over (partition by payment_intent_id order by event_id) = 1;

insert into ledger.collected_payments
select * exclude (customer_id) from _collected;

insert into ledger.balance_events
select
    customer_id,
    currency,
    null as invoice_id,
    amount_cents,
    $day as run_date
from _collected
where invoice_id is null;

-- Stripe's answers about refunds, each once, on the credit note it belongs to
insert into ledger.stripe_refund_events
select
    e.refund_key,
    c.credit_note_id,
    c.invoice_id,
    e.refund_id,
    e.status,
    e.detail,
    cast($day as date) as run_date,
    e.recorded_at as journal_recorded_at
from journal.refund_events as e
inner join journal.refunds as r using (refund_key)
inner join ledger.invoice_documents as d
    on
        (
            r.customer_id = d.customer_id and r.currency = d.currency
            and r.invoice_created_date = d.created_date
        )
        or (r.invoice_created_date is null and r.invoice_number = d.invoice_number)
inner join ledger.credit_notes as c
    on
        d.invoice_id = c.invoice_id
        and (
            r.credit_note_date = c.issue_date
            or (r.credit_note_date is null and r.credit_note_number = c.credit_note_number)
        )
where
    e.run_date <= $day
    and not exists (
        select 1 from ledger.stripe_refund_events as x
        where x.refund_key = e.refund_key and x.journal_recorded_at = e.recorded_at
    );

-- payment methods Stripe refused to attach, each once
insert into ledger.payment_method_declines
select
    l.customer_id,
    l.stripe_payment_method_id,
    l.detail as reason,
    cast($day as date) as run_date
from journal.customer_links as l
where
    l.step = 'method_declined' and l.run_date <= $day
    and not exists (
        select 1 from ledger.payment_method_declines as x
        where
            x.customer_id = l.customer_id
            and x.stripe_payment_method_id = l.stripe_payment_method_id
    );
