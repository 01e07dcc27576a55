-- The ledger's tables: append-only, nothing is ever updated or deleted.
-- Reads: nothing. Writes: schema `ledger` (created if missing; a column added later is
-- added by `add column if not exists`, and none is ever changed or dropped).
-- Money is integer cents (`*_cents`); the marts expose DECIMAL(18,2).
create schema if not exists ledger;

create table if not exists ledger.run_days (
    run_date date,
    completed_at timestamptz
);

create table if not exists ledger.invoices (
    invoice_id bigint,
    invoice_number varchar,
    customer_id varchar,
    currency varchar,
    created_date date,
    issue_date date,
    due_date date,
    tax_cents bigint
);

create table if not exists ledger.invoice_lines (
    invoice_id bigint,
    line_number integer,
    order_id varchar,
    charge_key varchar,
    customer_id varchar,
    product_id varchar,
    provider_id varchar,
    kind varchar,
    service_start date,
    service_end date,
    days integer,
    period_days integer,
    amount_cents bigint,
    tax_rate decimal(12, 6),
    currency varchar,
    ref_invoice_id bigint,
    description varchar
);

-- each invoice's tax per rate, rounded once when the invoice is made (step 60): what its
-- document itemises; ledger.invoices.tax_cents is their sum
create table if not exists ledger.invoice_taxes (
    invoice_id bigint,
    tax_rate decimal(12, 6),
    base_cents bigint,
    tax_cents bigint
);

-- the document of each issued number, rendered once (fiberbill/documents): where its
-- files are and their sha256; a file that no longer matches is an error, never rewritten
create table if not exists ledger.documents (
    document_number varchar,
    document_kind varchar,
    customer_id varchar,
    issue_date date,
    pdf_path varchar,
    pdf_sha256 varchar,
    html_sha256 varchar,
    rendered_at timestamptz
);

-- every attempt to e-mail a document (fiberbill/documents/delivery.py), append-only: a
-- `sending` row before the mail server is asked, then `sent` or `failed` with the reason
create table if not exists ledger.document_deliveries (
    document_number varchar,
    recipient varchar,
    status varchar,
    reason varchar,
    recorded_at timestamptz
);

create table if not exists ledger.credit_notes (
    credit_note_id bigint,
    credit_note_number varchar,
    invoice_id bigint,
    customer_id varchar,
    issue_date date,
    reason varchar,
    amount_cents bigint,
    currency varchar
);

create table if not exists ledger.credit_allocations (
    credit_note_id bigint,
    invoice_id bigint,
    order_id varchar,
    charge_key varchar,
    tax_rate decimal(12, 6),
    amount_cents bigint,
    run_date date
);

create table if not exists ledger.invoice_voids (
    invoice_id bigint,
    void_date date
);

create table if not exists ledger.balance_events (
    customer_id varchar,
    currency varchar,
    invoice_id bigint,
    amount_cents bigint,
    run_date date
);

create table if not exists ledger.balance_applications (
    application_id bigint,
    invoice_id bigint,
    customer_id varchar,
    currency varchar,
    amount_cents bigint,
    run_date date
);

-- drafts get their number, issue day and due day when finalized
create table if not exists ledger.invoice_finalizations (
    invoice_id bigint,
    invoice_number varchar,
    issue_date date,
    due_date date,
    finalized_at timestamptz
);

create table if not exists ledger.invoice_writeoffs (
    invoice_id bigint,
    writeoff_date date,
    reason varchar,
    recorded_at timestamptz
);

create table if not exists ledger.invoice_late (
    invoice_id bigint,
    late_date date
);

-- late invoices that will never get a late fee, and why
create table if not exists ledger.late_fee_waivers (
    invoice_id bigint,
    reason varchar,
    run_date date
);

create table if not exists ledger.invoice_status_history (
    history_id bigint,
    invoice_id bigint,
    status_date date,
    status varchar,
    cause varchar,
    recorded_at timestamptz
);

-- money collected through Stripe, on the run day its success was seen
create table if not exists ledger.collected_payments (
    payment_id varchar,
    invoice_id bigint,
    amount_cents bigint,
    currency varchar,
    method varchar,
    received_date date,
    received_at timestamptz
);

-- the collection state of each Stripe payment attempt, one row per change, per run day
create table if not exists ledger.payment_attempts (
    event_id bigint,
    attempt_key varchar,
    invoice_id bigint,
    attempt_no integer,
    method varchar,
    payment_intent_id varchar,
    status varchar,
    failure_reason varchar,
    amount_cents bigint,
    run_date date,
    journal_event_id bigint
);

-- payment methods Stripe refused to attach: not usable for collection
create table if not exists ledger.payment_method_declines (
    customer_id varchar,
    stripe_payment_method_id varchar,
    reason varchar,
    run_date date
);

-- refunds owed through Stripe when a credit note gives back money paid through it
create table if not exists ledger.stripe_refunds (
    credit_note_id bigint,
    invoice_id bigint,
    amount_cents bigint,
    run_date date
);

-- what Stripe answered for each refund (pending, succeeded, failed, canceled), per run
-- day, mirrored from the collection journal
create table if not exists ledger.stripe_refund_events (
    refund_key varchar,
    credit_note_id bigint,
    invoice_id bigint,
    refund_id varchar,
    status varchar,
    detail varchar,
    run_date date,
    journal_recorded_at timestamptz
);

-- each refund owed through Stripe with Stripe's latest answer; money counts as given
-- back unless Stripe said it failed (then it stays the customer's credit balance)
create or replace view ledger.refund_status as
select
    r.*,
    e.refund_id,
    e.detail as refund_detail,
    coalesce(e.status, 'planned') as refund_status,
    coalesce(e.status, 'planned') not in ('failed', 'canceled') as is_given
from ledger.stripe_refunds as r
left join (
    select * from ledger.stripe_refund_events
    qualify row_number() over (
        partition by credit_note_id order by journal_recorded_at desc
    ) = 1
) as e using (credit_note_id);

-- each invoice with its number, issue day and due day, whether issued or finalized later
create or replace view ledger.invoice_documents as
select
    i.invoice_id,
    coalesce(i.invoice_number, f.invoice_number) as invoice_number,
    i.customer_id,
    i.currency,
    i.created_date,
    coalesce(i.issue_date, f.issue_date) as issue_date,
    coalesce(i.due_date, f.due_date) as due_date,
    i.tax_cents
from ledger.invoices as i
left join ledger.invoice_finalizations as f using (invoice_id);

-- the wholesale specification lines published to each provider, per month (never changed:
-- a later correction is an adjustment line in a later month's spec)
create table if not exists ledger.wholesale_spec_lines (
    provider_id varchar,
    spec_month varchar,
    line_number integer,
    kind varchar,
    order_id varchar,
    connection_id varchar,
    product_id varchar,
    service_start date,
    service_end date,
    days integer,
    period_days integer,
    amount_cents bigint,
    currency varchar,
    original_month varchar,
    original_kind varchar
);

-- one row per provider and month published: its line count and total
create table if not exists ledger.wholesale_specs (
    provider_id varchar,
    spec_month varchar,
    line_count integer,
    total_cents bigint,
    currency varchar,
    generated_on date
);

-- Added with spec layout 2 (docs/open-access.md), as columns so a warehouse made before
-- keeps its rows: a spec published before has layout null (layout 1) and no names, and is
-- exported as it was first. Per line: the fee it applies, the product's name, the line's
-- description and its proration as text; per spec: who it is from and for, and its
-- payment terms.
alter table ledger.wholesale_spec_lines add column if not exists unit_fee_cents bigint;
alter table ledger.wholesale_spec_lines add column if not exists product_name varchar;
alter table ledger.wholesale_spec_lines add column if not exists description varchar;
alter table ledger.wholesale_spec_lines add column if not exists proration varchar;
alter table ledger.wholesale_specs add column if not exists layout integer;
alter table ledger.wholesale_specs add column if not exists provider_name varchar;
alter table ledger.wholesale_specs add column if not exists operator_name varchar;
alter table ledger.wholesale_specs add column if not exists payment_terms_days integer;
