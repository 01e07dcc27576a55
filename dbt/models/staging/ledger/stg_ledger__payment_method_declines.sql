select
    customer_id,
    stripe_payment_method_id,
    reason,
    run_date
from {{ source('ledger', 'payment_method_declines') }}
