select
    run_date,
    completed_at
from {{ source('ledger', 'run_days') }}
