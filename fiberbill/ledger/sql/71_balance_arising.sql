-- Step 71, credit balance arising: money received for an invoice in `_scope` beyond what
-- it still owes (an overpayment, a credit note on a paid invoice, any payment to a void
-- invoice) becomes the customer's credit balance, once.
-- Reads: _scope, invoice_money, ledger.balance_events. Writes: ledger.balance_events.
-- Rule: 100.00 paid on an invoice of 75.00 leaves a balance of 25.00 for the customer.
insert into ledger.balance_events
with arisen as (
    select
        invoice_id,
        sum(amount_cents) as arisen_cents
    from ledger.balance_events
    where invoice_id in (select s.invoice_id from _scope as s)
    group by all
),

excess as (
    select
        m.*,
        case when m.is_void then m.received_cents else greatest(0, -m.owed_cents) end
        - coalesce(a.arisen_cents, 0) as new_cents
    from ledger.invoice_money($day, '_scope') as m
    left join arisen as a using (invoice_id)
)

select
    customer_id,
    currency,
    invoice_id,
    new_cents as amount_cents,
    $day as run_date
from excess
where new_cents > 0
