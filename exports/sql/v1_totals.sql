-- Layout 1 summary (specs made before layout 2): totals by line kind and by product, from
-- the published lines alone, so the summary never changes.
-- Reads: temp table todo_lines. Writes: nothing.
select
    provider_id,
    spec_month,
    grouping_set,
    item,
    count(*) as n,
    sum(amount) as amount
from (
    select
        provider_id,
        spec_month,
        amount,
        'kind' as grouping_set,
        kind as item
    from todo_lines
    union all
    select
        provider_id,
        spec_month,
        amount,
        'product' as grouping_set,
        product_id as item
    from todo_lines
) as lines_by
group by all
order by provider_id, spec_month, grouping_set, item;
