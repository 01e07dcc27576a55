-- Step 20, new invoice lines for positive amounts owed. A charge billed for the first time
-- gets its recurring (or start fee) line and its discount line; a later increase is an
-- adjustment that names the latest invoice that billed the charge.
-- Each line carries its description, the human text of documents and marts (the
-- ledger.*_text macros): 'Monthly 60 (order O1), 10 Jan 2026 – 31 Jan 2026, prorated:
-- 22 of 31 days'; 'Promotion HALF3, 50 % off: Monthly 60 (order O1), 10 Jan 2026 – ...';
-- 'Adjustment: Monthly 60 (order O1), 1 Mar 2026 – 31 Mar 2026, billed on INV-2026-000003'.
-- Reads: _owed, ledger.invoice_lines, ledger.invoice_documents. Writes: temp table
-- _new_lines (no invoice yet).
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
        cast(null as bigint) as ref_invoice_id,
        ledger.charge_text(
            charge_kind,
            product_name,
            order_id,
            service_start_date,
            service_end_date,
            active_days,
            period_days
        ) as description
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
        null as ref_invoice_id,
        ledger.promotion_text(promotion_code, promotion_kind, promotion_value, currency)
        || ': ' || ledger.product_text(product_name, order_id) || ', '
        || ledger.period_text(promotion_service_start_date, promotion_service_end_date)
            as description
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
        billed.invoice_id as ref_invoice_id,
        'Adjustment: '
        || case
            when o.charge_kind = 'start_fee' then 'start fee, '
            else ''
        end
        || ledger.product_text(o.product_name, o.order_id)
        || case
            when o.charge_kind = 'start_fee' then ''
            else ', ' || ledger.period_text(o.service_start_date, o.service_end_date)
        end
        || ', billed on ' || coalesce(billed.invoice_number, 'draft ' || billed.invoice_id)
            as description
    from _owed as o
    -- the latest invoice that billed this charge
    left join (
        select
            x.order_id,
            x.charge_key,
            max(x.invoice_id) as invoice_id
        from ledger.invoice_lines as x
        where (x.order_id, x.charge_key) in (
            select (w.order_id, w.charge_key) from _owed as w
            where w.owed_cents > 0
        )
        group by all
    ) as latest on o.order_id = latest.order_id and o.charge_key = latest.charge_key
    left join ledger.invoice_documents as billed on latest.invoice_id = billed.invoice_id
    where
        o.owed_cents > 0
        and not (o.is_fresh and o.owed_cents = o.charge_cents - o.discount_cents)
)

select * from lines
where amount_cents <> 0
