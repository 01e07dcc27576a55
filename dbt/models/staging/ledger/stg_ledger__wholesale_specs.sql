select
    provider_id,
    spec_month,
    line_count,
    total_cents,
    currency,
    generated_on,
    layout,
    provider_name,
    operator_name,
    payment_terms_days
from {{ source('ledger', 'wholesale_specs') }}
