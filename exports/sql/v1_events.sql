-- Layout 1 summary: activations (start fee lines) and terminations (recurring lines whose
-- service stopped before the month's last day) per spec.
-- Reads: temp table todo_lines. Writes: nothing.
select
    provider_id,
    spec_month,
    count(*) filter (where kind = 'start_fee') as activations,
    count(*) filter (
        where kind = 'recurring'
        and service_end < last_day(cast(spec_month || '-01' as date))
    ) as terminations
from todo_lines
group by all;
