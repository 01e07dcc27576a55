-- The command-line calls recorded after run $after that carried out run days: run id,
-- first and last run day. A row from before `command` and `first_date` were recorded is a
-- command-line call that began the day after the call before it (or on $first_day).
-- Example: runs 1 (fiberbill run, Jan 1-20), 2 (dagster issue, Jan 21), 3 (fiberbill run,
-- Jan 22-Mar 1), after 0: rows 1 and 3.
-- Reads: ops.runs. Writes: nothing.
select
    run_id,
    first_date,
    through_date
from (
    select
        run_id,
        through_date,
        coalesce(command, 'fiberbill run') as command,
        coalesce(
            first_date,
            lag(through_date) over (order by run_id) + 1,
            cast($first_day as date)
        ) as first_date
    from ops.runs
) as calls
where run_id > $after and command like 'fiberbill%' and first_date <= through_date
order by run_id;
