select
    provider_id,
    spec_month,
    line_count,
    total_cents,
    currency,
    generated_on
from {{ source('ledger', 'wholesale_specs') }}
