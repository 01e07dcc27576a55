-- Step 10, what is owed: for every charge whose target changed today (on the first day of
-- a call, every charge, so rows loaded by this call are caught up too), the target less
-- what live invoices already bill for it, plus what credit notes gave back.
-- Reads: intermediate.int_charges__targets, ledger.invoice_lines, ledger.credit_allocations,
-- ledger.invoice_voids. Writes: temp table _owed (one row per charge that owes a change).
-- Rule: a month of 60.00 billed in full, whose order is terminated on day 21 of 31, has a
-- target of 40.65 today, so it owes -19.35 (a credit). A charge and its discount that
-- cancel out (a 100 % promotion) still owe their two lines the first time.
create or replace temp table _owed as
with targets as (
    select * from intermediate.int_charges__targets
    where change_date = $day or ($catch_up and change_date < $day)
    qualify row_number() over (
        partition by order_id, charge_key order by change_date desc
    ) = 1
),

live_lines as (
    select l.* from ledger.invoice_lines as l
    where
        l.charge_key is not null
        and l.invoice_id not in (select v.invoice_id from ledger.invoice_voids as v)
),

issued as (
    select
        order_id,
        charge_key,
        sum(amount_cents) as line_cents,
        count(*) as line_count
    from live_lines
    where (order_id, charge_key) in (select (t.order_id, t.charge_key) from targets as t)
    group by all
),

credited as (
    select
        a.order_id,
        a.charge_key,
        sum(a.amount_cents) as credit_cents
    from ledger.credit_allocations as a
    where
        a.invoice_id not in (select v.invoice_id from ledger.invoice_voids as v)
        and (a.order_id, a.charge_key) in (
            select (t.order_id, t.charge_key) from targets as t
        )
    group by all
)

select
    t.*,
    coalesce(i.line_count, 0) = 0 as is_fresh,
    t.target_cents - coalesce(i.line_cents, 0) + coalesce(c.credit_cents, 0) as owed_cents
from targets as t
left join issued as i using (order_id, charge_key)
left join credited as c using (order_id, charge_key)
where
    t.target_cents - coalesce(i.line_cents, 0) + coalesce(c.credit_cents, 0) <> 0
    -- a charge and its discount that cancel out are still two lines (a 100 % promotion)
    or (
        coalesce(i.line_count, 0) = 0 and t.target_cents = 0 and t.due_charge_cents <> 0
        and t.charge_cents = t.discount_cents
    )
