select
    provider_id,
    spec_month,
    line_number,
    kind,
    order_id,
    connection_id,
    product_id,
    service_start,
    service_end,
    days,
    period_days,
    amount_cents,
    currency,
    original_month,
    original_kind
from {{ source('ledger', 'wholesale_spec_lines') }}
