select
    invoice_id,
    amount_cents,
    received_date,
    known_date,
    source as received_source
from {{ source('ledger', 'received_events') }}
