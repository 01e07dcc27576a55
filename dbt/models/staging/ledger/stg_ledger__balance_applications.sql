select
    application_id,
    invoice_id,
    customer_id,
    currency,
    amount_cents,
    run_date
from {{ source('ledger', 'balance_applications') }}
