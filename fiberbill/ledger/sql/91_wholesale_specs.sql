-- Step 91 (after step 90), wholesale specs: one per provider with lines this month, with
-- its line count and total. A spec is published once and never changes.
-- Reads: _spec_lines. Writes: ledger.wholesale_specs.
insert into ledger.wholesale_specs
select
    provider_id,
    spec_month,
    count(*) as line_count,
    sum(amount_cents) as total_cents,
    any_value(currency) as currency,
    $day as generated_on
from _spec_lines
group by provider_id, spec_month
