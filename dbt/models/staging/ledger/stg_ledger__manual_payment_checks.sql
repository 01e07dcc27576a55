select
    payment_id,
    invoice_number,
    amount_cents,
    currency,
    received_at,
    received_date,
    payment_method,
    invoice_id,
    customer_id,
    rejection_reason
from {{ source('ledger', 'manual_payment_checks') }}
