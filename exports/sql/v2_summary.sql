-- Layout 2 summary of each spec to write, one row per figure it shows, from published
-- lines alone (this spec's and the previous month's of the same provider), so a summary
-- never changes:
--   kind        lines and amount per line kind;
--   adjustment  lines and amount per original month and original kind;
--   product     lines and amount per product, with the unit fees its recurring lines apply;
--   month       this month and the previous one: orders billed (recurring lines), active
--               days, activations (start fee lines), terminations and the total amount;
--               the previous month's row is missing when it had no spec.
-- Reads: temp tables todo_lines and todo_specs, wh.marts.wholesale_spec_lines.
-- Writes: nothing.
with

previous as (
    select
        l.provider_id,
        t.spec_month,
        l.kind,
        l.order_id,
        l.days,
        l.service_end,
        l.amount,
        l.spec_month as of_month
    from wh.marts.wholesale_spec_lines as l
    inner join todo_specs as t
        on
            l.provider_id = t.provider_id
            and l.spec_month
            = strftime(cast(t.spec_month || '-01' as date) - interval 1 month, '%Y-%m')
),

both_months as (
    select
        provider_id,
        spec_month,
        kind,
        order_id,
        days,
        service_end,
        amount,
        spec_month as of_month
    from todo_lines
    union all
    select * from previous
)

select
    provider_id,
    spec_month,
    'kind' as section,
    kind as item,
    null as detail,
    count(*) as n,
    sum(amount) as amount,
    null as days,
    null as activations,
    null as terminations,
    null as fees
from todo_lines
group by all
union all
select
    provider_id,
    spec_month,
    'adjustment' as section,
    original_month as item,
    original_kind as detail,
    count(*) as n,
    sum(amount) as amount,
    null as days,
    null as activations,
    null as terminations,
    null as fees
from todo_lines
where kind = 'adjustment'
group by all
union all
select
    provider_id,
    spec_month,
    'product' as section,
    product_id as item,
    coalesce(max(product_name), product_id) as detail,
    count(*) as n,
    sum(amount) as amount,
    null as days,
    null as activations,
    null as terminations,
    list_sort(list(distinct unit_fee) filter (
        where kind = 'recurring' and unit_fee is not null
    )) as fees
from todo_lines
group by provider_id, spec_month, product_id
union all
select
    provider_id,
    spec_month,
    'month' as section,
    of_month as item,
    null as detail,
    count(distinct order_id) filter (where kind = 'recurring') as n,
    sum(amount) as amount,
    coalesce(sum(days) filter (where kind = 'recurring'), 0) as days,
    count(*) filter (where kind = 'start_fee') as activations,
    count(*) filter (
        where kind = 'recurring' and service_end < last_day(cast(of_month || '-01' as date))
    ) as terminations,
    null as fees
from both_months
group by all
order by provider_id, spec_month, section, item, detail;
