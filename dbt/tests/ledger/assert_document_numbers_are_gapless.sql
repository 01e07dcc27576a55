{{ config(meta={'dagster': {'ref': {'name': 'invoices'}}}) }}
-- depends_on: {{ ref('invoices') }} (so Dagster shows it as a check of marts/invoices)
-- Invoice and credit note numbers run 1, 2, 3, ... per prefix and year, with no gap and no
-- repeat: a document is never lost, duplicated or renumbered. Read from the ledger itself
-- (drafts have no number yet). Returns each broken series.
-- Example: INV-2026-000001 and INV-2026-000003 alone are a broken series INV-2026: 2
-- numbers, 2 distinct, the last 3.
with

invoices as (
    select * from {{ source('ledger', 'invoice_documents') }}
),

credit_notes as (
    select * from {{ source('ledger', 'credit_notes') }}
),

numbers as (
    select invoice_number as document_number from invoices
    where invoice_number is not null
    union all
    select credit_note_number as document_number from credit_notes
),

parsed as (
    select
        regexp_extract(document_number, '^(.*)-([0-9]+)$', 1) as series,
        cast(regexp_extract(document_number, '^(.*)-([0-9]+)$', 2) as bigint)
            as sequence_number
    from numbers
),

per_series as (
    select
        series,
        count(*) as numbers_found,
        count(distinct sequence_number) as distinct_numbers,
        max(sequence_number) as last_number
    from parsed
    group by series
)

select * from per_series
where numbers_found <> distinct_numbers or distinct_numbers <> last_number
