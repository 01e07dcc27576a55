select
    invoice_id,
    late_date
from {{ source('ledger', 'invoice_late') }}
