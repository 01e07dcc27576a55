-- Every published spec's line count and total equal its lines, and its line numbers run
-- 1..line_count without a gap.
with

lines as (
    select
        provider_id,
        spec_month,
        count(*) as line_count,
        sum(amount) as total,
        min(line_number) as first_line,
        max(line_number) as last_line,
        count(distinct line_number) as numbers
    from {{ ref('wholesale_spec_lines') }}
    group by provider_id, spec_month
),

specs as (
    select * from {{ ref('wholesale_specs') }}
)

select
    specs.provider_id,
    specs.spec_month,
    specs.line_count,
    lines.line_count as lines_counted
from specs
full join lines
    on specs.provider_id = lines.provider_id and specs.spec_month = lines.spec_month
where
    specs.provider_id is null
    or lines.provider_id is null
    or specs.line_count <> lines.line_count
    or specs.total <> lines.total
    or lines.first_line <> 1
    or lines.last_line <> lines.line_count
    or lines.numbers <> lines.line_count
