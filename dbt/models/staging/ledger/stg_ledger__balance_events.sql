select
    customer_id,
    currency,
    invoice_id,
    amount_cents,
    run_date
from {{ source('ledger', 'balance_events') }}
