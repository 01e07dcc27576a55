select
    invoice_id,
    invoice_number,
    customer_id,
    currency,
    created_date,
    issue_date,
    due_date,
    tax_cents
from {{ source('ledger', 'invoice_documents') }}
