select
    credit_note_id,
    invoice_id,
    order_id,
    charge_key,
    tax_rate,
    amount_cents,
    run_date
from {{ source('ledger', 'credit_allocations') }}
