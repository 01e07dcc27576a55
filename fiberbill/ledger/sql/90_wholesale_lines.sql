-- Step 90 (on the 1st of each month), wholesale spec lines: for each provider, the lines of
-- last month's spec, from actual activation data as known on the run day. A month not
-- published yet gets its lines by kind; anything that changed in an earlier, published
-- month (a late activation, a correction) is an adjustment line in this month's spec, so a
-- published line is never changed.
-- Reads: intermediate.int_order_versions, intermediate.int_wholesale__by_version,
-- intermediate.int_orders__billing, ledger.wholesale_spec_lines; $spec_month (YYYY-MM).
-- Writes: temp table _spec_lines, ledger.wholesale_spec_lines.
-- Each line carries the fee it applies (unit_fee_cents) and its proration as text (of the
-- corrected amount for an adjustment), the product's name and its description, in the
-- invoices' wording.
-- Rule: January's spec (published Feb 1) bills O1's 22 days at 20.00 x 22/31 = 14.19; an
-- activation of O2 on Jan 20 recorded on Feb 3 is an adjustment line in February's spec.
create or replace temp table _spec_lines as
with version_now as (
    select
        order_id,
        max(version_date) as version_date
    from intermediate.int_order_versions
    where version_date <= $day
    group by order_id
),

-- what is owed, as known on $day, for every order, month (before $day's month) and kind
targets as (
    select
        w.order_id,
        strftime(w.month_start_date, '%Y-%m') as month,
        w.kind,
        w.amount_cents,
        w.service_start_date,
        w.service_end_date,
        w.active_days,
        w.period_days,
        w.unit_fee_cents,
        w.proration,
        w.product_name
    from intermediate.int_wholesale__by_version as w
    inner join version_now using (order_id, version_date)
    where w.month_start_date < date_trunc('month', $day)
),

published as (
    select
        order_id,
        original_month as month,
        original_kind as kind,
        sum(amount_cents) as published_cents,
        max(product_name) as product_name
    from ledger.wholesale_spec_lines
    group by all
),

diffs as (
    select
        t.service_start_date,
        t.service_end_date,
        t.active_days,
        t.period_days,
        t.unit_fee_cents,
        t.proration,
        coalesce(t.product_name, p.product_name) as product_name,
        coalesce(t.order_id, p.order_id) as order_id,
        coalesce(t.month, p.month) as month,
        coalesce(t.kind, p.kind) as original_kind,
        coalesce(t.amount_cents, 0) - coalesce(p.published_cents, 0) as amount_cents,
        p.order_id is not null as was_published
    from targets as t
    full join published as p using (order_id, month, kind)
),

lines as (
    select
        d.*,
        o.provider_id,
        o.connection_id,
        o.product_id,
        o.currency,
        case
            when d.month = $spec_month and not d.was_published then d.original_kind
            else 'adjustment'
        end as kind
    from diffs as d inner join intermediate.int_orders__billing as o using (order_id)
    where d.amount_cents <> 0 and d.month <= $spec_month
)

select
    provider_id,
    $spec_month as spec_month,
    cast(row_number() over (
        partition by provider_id
        order by month, order_id, kind = 'adjustment', original_kind
    ) as integer) as line_number,
    kind,
    order_id,
    connection_id,
    product_id,
    service_start_date as service_start,
    service_end_date as service_end,
    cast(active_days as integer) as days,
    cast(period_days as integer) as period_days,
    cast(amount_cents as bigint) as amount_cents,
    currency,
    month as original_month,
    original_kind,
    unit_fee_cents,
    proration,
    product_name,
    case
        when kind = 'adjustment'
            then
                'Adjustment of ' || ledger.month_text(month) || ': '
                || case when original_kind = 'start_fee' then 'start fee, ' else '' end
                || ledger.product_text(product_name, order_id)
                || case
                    when service_start_date is null then ', no longer owed'
                    when original_kind = 'start_fee' then ''
                    else
                        ', ' || ledger.period_text(service_start_date, service_end_date)
                        || ', ' || active_days || ' of ' || period_days || ' days'
                end
        else
            ledger.charge_text(
                kind,
                product_name,
                order_id,
                service_start_date,
                service_end_date,
                active_days,
                period_days
            )
    end as description
from lines;

insert into ledger.wholesale_spec_lines by name select * from _spec_lines;
