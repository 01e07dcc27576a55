select
    event_id,
    attempt_key,
    invoice_id,
    attempt_no,
    method,
    payment_intent_id,
    status,
    failure_reason,
    amount_cents,
    run_date,
    journal_event_id
from {{ source('ledger', 'payment_attempts') }}
