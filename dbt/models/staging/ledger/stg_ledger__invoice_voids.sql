select
    invoice_id,
    void_date
from {{ source('ledger', 'invoice_voids') }}
