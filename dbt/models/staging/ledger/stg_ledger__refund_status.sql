select
    credit_note_id,
    invoice_id,
    amount_cents,
    run_date,
    refund_id,
    refund_detail,
    refund_status,
    is_given
from {{ source('ledger', 'refund_status') }}
