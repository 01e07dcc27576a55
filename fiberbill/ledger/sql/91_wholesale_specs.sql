-- Step 91 (after step 90), wholesale specs: one per provider with lines this month, with
-- its line count and total, in layout 2 (docs/open-access.md): the provider's name, the
-- operator's (settings [operator].legal_name) and the payment terms in days
-- (wholesale_payment_terms_days) are recorded with it, so its files never change. A spec
-- is published once and never changes.
-- Reads: _spec_lines, intermediate.int_orders__billing; $day, $operator_name,
-- $wholesale_terms_days. Writes: ledger.wholesale_specs.
insert into ledger.wholesale_specs by name
select
    s.provider_id,
    s.spec_month,
    count(*) as line_count,
    sum(s.amount_cents) as total_cents,
    any_value(s.currency) as currency,
    $day as generated_on,
    2 as layout,
    any_value(o.provider_name) as provider_name,
    $operator_name as operator_name,
    $wholesale_terms_days as payment_terms_days
from _spec_lines as s
inner join intermediate.int_orders__billing as o using (order_id)
group by s.provider_id, s.spec_month
