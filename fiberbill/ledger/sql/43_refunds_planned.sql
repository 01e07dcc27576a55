-- Step 43, refunds planned: money a credit note gives back beyond what its invoice still
-- owes goes back through Stripe, up to what Stripe collected for the invoice (net of
-- earlier refunds) and less what already became credit balance.
-- Reads: _credit_notes, invoice_money, ledger.collected_payments,
-- ledger.refund_status, ledger.balance_events. Writes: _scope, ledger.stripe_refunds.
-- Rule: an invoice of 75.00 paid by card and credited 24.19 on termination owes -24.19:
-- a refund of 24.19 is planned (collection carries it out).
create or replace temp table _scope as
select invoice_id from _credit_notes;

insert into ledger.stripe_refunds
with collected as (
    select
        invoice_id,
        sum(amount_cents) as net_cents
    from (
        select
            invoice_id,
            amount_cents
        from ledger.collected_payments
        where invoice_id in (select s.invoice_id from _scope as s)
        union all
        select
            invoice_id,
            -amount_cents as amount_cents
        from ledger.refund_status
        where is_given and invoice_id in (select s.invoice_id from _scope as s)
    ) as money_moved
    group by all
),

became_balance as (
    select
        invoice_id,
        sum(amount_cents) as balance_cents
    from ledger.balance_events
    where invoice_id in (select s.invoice_id from _scope as s)
    group by all
),

excess as (
    select
        m.invoice_id,
        c.net_cents,
        greatest(0, -m.owed_cents) - coalesce(b.balance_cents, 0) as excess_cents
    from ledger.invoice_money($day, '_scope') as m
    inner join collected as c using (invoice_id)
    left join became_balance as b using (invoice_id)
)

select
    n.credit_note_id,
    e.invoice_id,
    least(e.excess_cents, e.net_cents) as amount_cents,
    $day as run_date
from excess as e inner join _credit_notes as n using (invoice_id)
where least(e.excess_cents, e.net_cents) > 0;
