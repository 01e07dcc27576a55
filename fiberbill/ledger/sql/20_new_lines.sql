-- Step 20, new invoice lines for positive amounts owed. A charge billed for the first time
-- gets its recurring (or start fee) line and its discount line; a later increase is an
-- adjustment that names the latest invoice that billed the charge.
-- Reads: _owed, ledger.invoice_lines. Writes: temp table _new_lines (no invoice yet).
-- Rule: a first month of 60.00 with 50 % off for 22 of 31 days is two lines, 42.58 and
-- -21.29; the same month owing 5.00 more after a late upgrade is one adjustment of 5.00.
-- A line of 0.00 is never written.
create or replace temp table _new_lines as
with fresh as (
    select * from _owed
    where
        owed_cents >= 0 and is_fresh and owed_cents = charge_cents - discount_cents
        and charge_cents > 0
),

lines as (
    select
        order_id,
        charge_key,
        customer_id,
        currency,
        product_id,
        provider_id,
        charge_kind as kind,
        service_start_date as service_start,
        service_end_date as service_end,
        case when charge_kind = 'start_fee' then null else active_days end as days,
        case when charge_kind = 'start_fee' then null else period_days end as period_days,
        charge_cents as amount_cents,
        tax_rate,
        1 as sort_order,
        cast(null as bigint) as ref_invoice_id
    from fresh
    union all
    select
        order_id,
        charge_key,
        customer_id,
        currency,
        product_id,
        provider_id,
        'discount' as kind,
        promotion_service_start_date as service_start,
        promotion_service_end_date as service_end,
        promotion_days as days,
        period_days,
        -discount_cents as amount_cents,
        tax_rate,
        2 as sort_order,
        null as ref_invoice_id
    from fresh
    where discount_cents <> 0
    union all
    select
        o.order_id,
        o.charge_key,
        o.customer_id,
        o.currency,
        o.product_id,
        o.provider_id,
        'adjustment' as kind,
        o.service_start_date as service_start,
        o.service_end_date as service_end,
        o.active_days as days,
        o.period_days,
        o.owed_cents as amount_cents,
        o.tax_rate,
        3 as sort_order,
        -- the latest invoice that billed this charge
        (
            select max(x.invoice_id) from ledger.invoice_lines as x
            where x.order_id = o.order_id and x.charge_key = o.charge_key
        ) as ref_invoice_id
    from _owed as o
    where
        o.owed_cents > 0
        and not (o.is_fresh and o.owed_cents = o.charge_cents - o.discount_cents)
)

select * from lines
where amount_cents <> 0
