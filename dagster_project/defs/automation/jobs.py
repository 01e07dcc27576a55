"""The jobs, the two schedules and the inbox sensor, in the operator's timezone.

- `billing_cycle` (daily partitions): load, derive, issue and collect, build the marts.
  The daily schedule runs today's partition at 23:30, so the monthly cycle is issued on the
  1st and each anniversary on its day, with the whole day's deliveries seen.
- `wholesale_exports` (monthly partitions): the previous month's spec files, on the 1st
  at 23:45, after the billing run of the 1st made the specs.
- `inbox_sensor`: files dropped in the inbox are moved into the input folder and today's
  billing partition is launched, so a new activation is invoiced the day it arrives.

Every job that writes the warehouse carries WRITER_TAG; the instance's run queue lets one
such run go at a time (dagster_project/dagster.yaml), and each run executes its steps in one
process, one after another, so nothing ever waits on DuckDB's single-writer lock.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.defs.partitions import TIMEZONE, WRITER_TAG
from dagster_project.defs.wholesale.assets import WHOLESALE_EXPORTS
from dagster_project.resources import FiberbillResource
from ingest import inbox

billing_cycle = dg.define_asset_job(
    "billing_cycle",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(WHOLESALE_EXPORTS),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAG,
    run_tags=WRITER_TAG,
    description="One billing run day (or a backfill's range, as one run): load the input "
    "folder, derive the charges, issue the documents and collect, build the marts. The "
    "same as `fiberbill run --through <day>`.",
)

wholesale_exports_job = dg.define_asset_job(
    "wholesale_exports",
    selection=dg.AssetSelection.assets(WHOLESALE_EXPORTS),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAG,
    run_tags=WRITER_TAG,
    description="Write and verify the wholesale spec files of one month.",
)


def now() -> datetime:
    """The operator's wall clock (tests replace it)."""
    return datetime.now(ZoneInfo(TIMEZONE))


def _local_day(context: dg.ScheduleEvaluationContext):
    return context.scheduled_execution_time.astimezone(ZoneInfo(TIMEZONE)).date()


@dg.schedule(
    job=billing_cycle,
    cron_schedule="30 23 * * *",
    execution_timezone=TIMEZONE,
    name="daily_billing",
    description="Every day at 23:30 operator time: that day's billing run.",
)
def daily_billing(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = _local_day(context).isoformat()
    return dg.RunRequest(run_key=f"daily-{day}", partition_key=day)


@dg.schedule(
    job=wholesale_exports_job,
    cron_schedule="45 23 1 * *",
    execution_timezone=TIMEZONE,
    name="monthly_wholesale",
    description="On the 1st at 23:45 operator time: the previous month's spec files.",
)
def monthly_wholesale(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    month = (_local_day(context).replace(day=1) - timedelta(days=1)).replace(day=1)
    return dg.RunRequest(run_key=f"wholesale-{month:%Y-%m}", partition_key=month.isoformat())


@dg.sensor(
    job=billing_cycle,
    name="inbox_sensor",
    minimum_interval_seconds=60,
    description="New order, activation or other input files in the inbox: move them into "
    "the input folder and run today's billing partition.",
)
def inbox_sensor(
    context: dg.SensorEvaluationContext, fiberbill: FiberbillResource
) -> dg.SensorResult | dg.SkipReason:
    moment = now()
    deliveries = inbox.accept(fiberbill.inbox_path, fiberbill.data_path, moment)
    if deliveries.unrecognized:
        context.log.warning(
            f"{fiberbill.inbox_path}: not input files, left in the inbox: "
            + ", ".join(deliveries.unrecognized)
        )
    if not deliveries.accepted:
        return dg.SkipReason(f"no new deliveries in {fiberbill.inbox_path}")
    names = [p.name for p in deliveries.accepted]
    day = moment.date().isoformat()
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"inbox-{names[0]}",
                partition_key=day,
                tags={"fiberbill/trigger": "inbox", "fiberbill/deliveries": str(len(names))},
            )
        ],
        cursor=names[-1],
    )
