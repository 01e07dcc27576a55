select
    history_id,
    invoice_id,
    status_date,
    status,
    cause,
    recorded_at
from {{ source('ledger', 'invoice_status_history') }}
