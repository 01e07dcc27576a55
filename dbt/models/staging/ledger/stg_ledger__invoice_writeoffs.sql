select
    invoice_id,
    writeoff_date,
    reason,
    recorded_at
from {{ source('ledger', 'invoice_writeoffs') }}
