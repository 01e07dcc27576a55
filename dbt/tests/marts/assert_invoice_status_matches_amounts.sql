-- The status (from the append-only history) agrees with the amounts: an open or late
-- invoice owes money, a paid one owes nothing, void and uncollectible ones owe nothing.
select
    invoice_id,
    status,
    total_cents,
    paid_cents,
    credited_cents,
    due_cents
from {{ ref('int_invoices__standing') }}
where
    status is null
    or (status in ('open', 'late') and total_cents - paid_cents - credited_cents <= 0)
    or (status = 'paid' and total_cents - paid_cents - credited_cents > 0)
    or (status in ('void', 'uncollectible', 'draft', 'paid') and due_cents <> 0)
