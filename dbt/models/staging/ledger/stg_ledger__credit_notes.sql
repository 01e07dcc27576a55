select
    credit_note_id,
    credit_note_number,
    invoice_id,
    customer_id,
    issue_date,
    reason,
    amount_cents,
    currency
from {{ source('ledger', 'credit_notes') }}
