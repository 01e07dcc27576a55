select
    payment_id,
    invoice_id,
    amount_cents,
    currency,
    method,
    received_date,
    received_at
from {{ source('ledger', 'collected_payments') }}
