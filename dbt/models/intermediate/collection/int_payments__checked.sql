-- One row per manual payment, checked against the ledger as of the day it was received:
-- the invoice must exist (be issued) on that day and be in the same currency.
with

payments as (
    select * from {{ ref('stg_inputs__payments') }}
),

invoices as (
    select * from {{ source('ledger', 'invoice_documents') }}
),

run_days as (
    select max(run_date) as last_run_date from {{ source('ledger', 'run_days') }}
),

final as (
    select
        payments.payment_id,
        payments.invoice_number,
        payments.amount_cents,
        payments.currency,
        payments.received_at,
        payments.received_date,
        payments.payment_method,
        invoices.invoice_id,
        invoices.customer_id,
        case
            when payments.received_date > run_days.last_run_date then null
            when invoices.invoice_id is null or invoices.issue_date > payments.received_date
                then
                    'invoice_number: no invoice ''' || payments.invoice_number
                    || ''' issued by ' || payments.received_date
            when invoices.currency <> payments.currency
                then
                    'currency: ''' || payments.currency || ''' differs from invoice '''
                    || payments.invoice_number || ''' in ' || invoices.currency
        end as rejection_reason,
        payments.received_date <= run_days.last_run_date as is_seen
    from payments
    cross join run_days
    left join invoices on payments.invoice_number = invoices.invoice_number
)

select * from final
