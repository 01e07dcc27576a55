{{ config(meta={'dagster': {'ref': {'name': 'invoices'}}}) }}
-- depends_on: {{ ref('invoices') }} (so Dagster shows it as a check of marts/invoices)
-- The ledger's own integrity, one row per violation: every key is unique and not null, and
-- every kind, reason and status is one the engine writes (fiberbill/ledger/sql/). One test
-- for all of them rather than one per column: each dbt node costs about 70 ms of every
-- call's marts build.
with

invoices as (
    select * from {{ source('ledger', 'invoices') }}
),

invoice_lines as (
    select * from {{ source('ledger', 'invoice_lines') }}
),

credit_notes as (
    select * from {{ source('ledger', 'credit_notes') }}
),

history as (
    select * from {{ source('ledger', 'invoice_status_history') }}
),

applications as (
    select * from {{ source('ledger', 'balance_applications') }}
),

attempts as (
    select * from {{ source('ledger', 'payment_attempts') }}
),

documents as (
    select * from {{ source('ledger', 'invoice_documents') }}
),

keys as (
    select
        'invoices.invoice_id' as rule_name,
        cast(invoice_id as varchar) as found_value,
        count(*) as rows_found
    from invoices
    group by invoice_id
    having count(*) > 1 or invoice_id is null
    union all
    select
        'invoice number (issued or finalized)' as rule_name,
        invoice_number as found_value,
        count(*) as rows_found
    from documents
    where invoice_number is not null
    group by invoice_number
    having count(*) > 1
    union all
    select
        'invoice_lines.(invoice_id, line_number)' as rule_name,
        cast(invoice_id as varchar) || '/' || cast(line_number as varchar) as found_value,
        count(*) as rows_found
    from invoice_lines
    group by invoice_id, line_number
    having count(*) > 1 or invoice_id is null or line_number is null
    union all
    select
        'credit_notes.credit_note_id' as rule_name,
        cast(credit_note_id as varchar) as found_value,
        count(*) as rows_found
    from credit_notes
    group by credit_note_id
    having count(*) > 1 or credit_note_id is null
    union all
    select
        'credit_notes.credit_note_number' as rule_name,
        credit_note_number as found_value,
        count(*) as rows_found
    from credit_notes
    group by credit_note_number
    having count(*) > 1 or credit_note_number is null
    union all
    select
        'invoice_status_history.history_id' as rule_name,
        cast(history_id as varchar) as found_value,
        count(*) as rows_found
    from history
    group by history_id
    having count(*) > 1 or history_id is null
    union all
    select
        'balance_applications.application_id' as rule_name,
        cast(application_id as varchar) as found_value,
        count(*) as rows_found
    from applications
    group by application_id
    having count(*) > 1 or application_id is null
    union all
    select
        'payment_attempts.event_id' as rule_name,
        cast(event_id as varchar) as found_value,
        count(*) as rows_found
    from attempts
    group by event_id
    having count(*) > 1 or event_id is null
),

accepted as (
    select
        'invoice_lines.kind' as rule_name,
        kind as found_value,
        count(*) as rows_found
    from invoice_lines
    where
        kind is null
        or kind not in ('recurring', 'start_fee', 'discount', 'adjustment', 'late_fee')
    group by kind
    union all
    select
        'credit_notes.reason' as rule_name,
        reason as found_value,
        count(*) as rows_found
    from credit_notes
    where reason is null or reason not in ('termination_refund', 'correction')
    group by reason
    union all
    select
        'invoice_status_history.status' as rule_name,
        status as found_value,
        count(*) as rows_found
    from history
    where
        status is null
        or status not in ('draft', 'open', 'paid', 'late', 'void', 'uncollectible')
    group by status
    union all
    select
        'payment_attempts.status' as rule_name,
        status as found_value,
        count(*) as rows_found
    from attempts
    where
        status is null
        or status not in ('pending', 'processing', 'succeeded', 'failed')
    group by status
)

select * from keys
union all
select * from accepted
