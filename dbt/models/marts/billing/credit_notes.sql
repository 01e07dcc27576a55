with

credit_notes as (
    select * from {{ ref('stg_ledger__credit_notes') }}
),

invoices as (
    select * from {{ ref('stg_ledger__invoice_documents') }}
),

final as (
    select
        credit_notes.credit_note_number,
        invoices.invoice_number,
        credit_notes.customer_id,
        credit_notes.issue_date,
        credit_notes.reason,
        {{ cents_to_money('credit_notes.amount_cents') }} as amount,
        credit_notes.currency
    from credit_notes
    inner join invoices on credit_notes.invoice_id = invoices.invoice_id
)

select * from final
