-- Step 30, allocating credit: a negative amount owed is credited against the invoices that
-- billed the charge, newest first, each up to what that invoice still holds for it.
-- Reads: _owed, ledger.invoice_lines, ledger.credit_allocations, ledger.invoice_voids.
-- Writes: temp table _alloc (invoice, charge, tax rate, cents to credit).
-- Rule: -19.35 owed for a charge billed 40.00 on invoice 7 and 20.00 on invoice 9 takes
-- 19.35 from invoice 9; -30.00 would take 20.00 from invoice 9 and 10.00 from invoice 7.
create or replace temp table _alloc as
with need as (
    select
        order_id,
        charge_key,
        -owed_cents as need_cents,
        is_ended
    from _owed
    where owed_cents < 0
),

credited as (
    select
        invoice_id,
        order_id,
        charge_key,
        sum(amount_cents) as credit_cents
    from ledger.credit_allocations
    group by all
),

held as (
    select
        l.invoice_id,
        l.order_id,
        l.charge_key,
        any_value(l.tax_rate) as tax_rate,
        sum(l.amount_cents) - coalesce(any_value(a.credit_cents), 0) as held_cents
    from ledger.invoice_lines as l
    inner join need using (order_id, charge_key)
    left join credited as a using (invoice_id, order_id, charge_key)
    where l.invoice_id not in (select v.invoice_id from ledger.invoice_voids as v)
    group by all
    having sum(l.amount_cents) - coalesce(any_value(a.credit_cents), 0) > 0
),

ranked as (
    select
        held.*,
        need.need_cents,
        need.is_ended,
        coalesce(sum(held.held_cents) over (
            partition by held.order_id, held.charge_key order by held.invoice_id desc
            rows between unbounded preceding and 1 preceding
        ), 0) as newer_cents
    from held inner join need using (order_id, charge_key)
)

select
    invoice_id,
    order_id,
    charge_key,
    tax_rate,
    is_ended,
    least(held_cents, need_cents - newer_cents) as amount_cents
from ranked
where need_cents > newer_cents
