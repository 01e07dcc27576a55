-- Step 40, the effect of today's credits on each invoice they touch: its lines and credits
-- per tax rate before and after today, each rate's tax rounded once (half away from zero).
-- Reads: _alloc, ledger.invoice_lines, ledger.credit_allocations.
-- Writes: temp table _effect (one row per invoice touched today).
-- Rule: an invoice of 60.00 at 25 % (75.00) credited 19.35 today goes from 75.00 to
-- 40.65 + 10.16 = 50.81, a credit note of 24.19.
create or replace temp table _effect as
with touched as (select distinct invoice_id from _alloc),

lines as (
    select
        invoice_id,
        tax_rate,
        sum(amount_cents) as line_cents
    from ledger.invoice_lines
    where invoice_id in (select t.invoice_id from touched as t)
    group by all
),

earlier as (
    select
        invoice_id,
        tax_rate,
        sum(amount_cents) as credit_cents
    from ledger.credit_allocations
    where invoice_id in (select t.invoice_id from touched as t)
    group by all
),

today as (
    select
        invoice_id,
        tax_rate,
        sum(amount_cents) as credit_cents,
        bool_or(is_ended) as is_ended
    from _alloc
    group by all
),

per_rate as (
    select
        l.invoice_id,
        l.tax_rate,
        l.line_cents - coalesce(e.credit_cents, 0) as before_cents,
        l.line_cents - coalesce(e.credit_cents, 0) - coalesce(t.credit_cents, 0)
            as after_cents,
        coalesce(t.credit_cents, 0) as today_cents,
        coalesce(t.is_ended, false) as is_ended
    from lines as l
    left join earlier as e using (invoice_id, tax_rate)
    left join today as t using (invoice_id, tax_rate)
)

select
    invoice_id,
    sum(before_cents + cast(round(before_cents * tax_rate, 0) as bigint)) as before_total,
    sum(after_cents + cast(round(after_cents * tax_rate, 0) as bigint)) as after_total,
    sum(today_cents) as today_cents,
    bool_or(is_ended) as is_ended
from per_rate
group by invoice_id
