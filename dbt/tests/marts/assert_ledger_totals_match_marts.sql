{{ config(meta={'dagster': {'ref': {'name': 'invoices'}}}) }}
-- The marts show exactly the money (and the invoices) the ledger issued: invoice lines,
-- invoice tax, the number of invoices, credit notes and wholesale spec lines, in cents on
-- both sides. Returns each figure that differs.
-- Example: ledger credit notes 2,419 cents and marts.credit_notes 24.20 → "credit notes".
with

ledger_figures as (
    select
        'invoice lines' as figure,
        coalesce(sum(amount_cents), 0) as ledger_value
    from {{ source('ledger', 'invoice_lines') }}
    union all
    select
        'invoice tax' as figure,
        coalesce(sum(tax_cents), 0) as ledger_value
    from {{ source('ledger', 'invoice_documents') }}
    union all
    select
        'invoices' as figure,
        count(*) as ledger_value
    from {{ source('ledger', 'invoices') }}
    union all
    select
        'credit notes' as figure,
        coalesce(sum(amount_cents), 0) as ledger_value
    from {{ source('ledger', 'credit_notes') }}
    union all
    select
        'wholesale spec lines' as figure,
        coalesce(sum(amount_cents), 0) as ledger_value
    from {{ source('ledger', 'wholesale_spec_lines') }}
),

mart_figures as (
    select
        'invoice lines' as figure,
        coalesce(sum(amount) * 100, 0) as mart_value
    from {{ ref('invoice_lines') }}
    union all
    select
        'invoice tax' as figure,
        coalesce(sum(tax_total) * 100, 0) as mart_value
    from {{ ref('invoices') }}
    union all
    select
        'invoices' as figure,
        count(*) as mart_value
    from {{ ref('invoices') }}
    union all
    select
        'credit notes' as figure,
        coalesce(sum(amount) * 100, 0) as mart_value
    from {{ ref('credit_notes') }}
    union all
    select
        'wholesale spec lines' as figure,
        coalesce(sum(amount) * 100, 0) as mart_value
    from {{ ref('wholesale_spec_lines') }}
)

select
    ledger_figures.figure,
    ledger_figures.ledger_value,
    mart_figures.mart_value
from ledger_figures
inner join mart_figures on ledger_figures.figure = mart_figures.figure
where ledger_figures.ledger_value <> mart_figures.mart_value
