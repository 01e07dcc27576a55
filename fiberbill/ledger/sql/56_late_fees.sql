-- Step 56, late fees: decided once per late invoice, on the first run day on which no SEPA
-- or ACH payment for it is still processing. The fee is fixed, or a percent of what is
-- owed rounded half away from zero; it is a line on today's invoice for the customer, or a
-- waiver with its reason.
-- Reads: _scope, invoice_money, processing, settings $fee_kind,
-- $fee_fixed_cents, $fee_rate. Writes: temp table _late_fees, ledger.late_fee_waivers,
-- _new_lines (fee lines).
-- Rule: 41.58 owed, late fee 2 %: a fee of 0.83 (0.8316 rounded). A fee of a late invoice
-- holding only late fees is waived (no fee on a fee).
create or replace temp table _late_fees as
with decided as (
    select
        p.*,
        case $fee_kind
            when 'fixed' then $fee_fixed_cents
            when 'percent'
                then
                    cast(round(p.owed_cents * cast($fee_rate as decimal(20, 8)), 0) as bigint)
            else 0
        end as fee_cents
    from ledger.invoice_money($day, '_scope') as p
    where p.invoice_id not in (select x.invoice_id from ledger.processing($day) as x)
)

select
    *,
    case
        when $fee_kind = 'none' then 'late_fee kind is none'
        when only_late_fees then 'the invoice holds only late fees'
        when is_void or is_written_off or owed_cents <= 0 then 'settled before the fee was due'
        when fee_cents <= 0 then 'the fee rounds to 0.00'
    end as waiver
from decided;

insert into ledger.late_fee_waivers
select
    invoice_id,
    waiver as reason,
    $day as run_date
from _late_fees
where waiver is not null;

insert into _new_lines
select
    null as order_id,
    'late_fee' as charge_key,
    customer_id,
    currency,
    null as product_id,
    null as provider_id,
    'late_fee' as kind,
    null as service_start,
    null as service_end,
    null as days,
    null as period_days,
    fee_cents as amount_cents,
    0 as tax_rate,
    4 as sort_order,
    invoice_id as ref_invoice_id,
    'Late fee: invoice ' || invoice_number || ', due ' || ledger.date_text(due_date)
    || ', was still unpaid after the grace period' as description
from _late_fees
where waiver is null;
