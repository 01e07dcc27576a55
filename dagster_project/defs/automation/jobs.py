"""The jobs, the two schedules and the inbox sensor, in the operator's timezone.

- `billing_cycle` (daily partitions): load, derive, issue and collect, build the marts.
  The daily schedule runs today's partition at 23:30, so the monthly cycle is issued on the
  1st and each anniversary on its day, with the whole day's deliveries seen.
- `wholesale_exports` (monthly partitions): the previous month's spec files and its
  finance dashboard, on the 1st at 23:45, after the billing run of the 1st made the specs.
- `inbox_sensor`: files dropped in the inbox are moved into the input folder and today's
  billing partition is launched, so a new activation is invoiced the day it arrives.
- `cli_runs_sensor` (cli_runs.py): days billed by `fiberbill run` on the command line are
  reported as materialized.

Every job that writes the warehouse carries WRITER_TAG; the instance's run queue lets one
such run go at a time (dagster_project/dagster.yaml), and each run executes its steps in one
process, one after another, so nothing ever waits on DuckDB's single-writer lock.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from dagster_project.defs.automation.cli_runs import cli_runs_sensor
from dagster_project.defs.partitions import WRITER_TAG, Cycle
from dagster_project.defs.reports.assets import MONTHLY_REPORT
from dagster_project.defs.wholesale.assets import WHOLESALE_EXPORTS
from dagster_project.resources import FiberbillResource
from ingest import inbox

billing_cycle = dg.define_asset_job(
    "billing_cycle",
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(WHOLESALE_EXPORTS, MONTHLY_REPORT),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAG,
    run_tags=WRITER_TAG,
    description="One billing run day (or a backfill's range, as one run): load the input "
    "folder, derive the charges, issue the documents and collect, build the marts. The "
    "same as `fiberbill run --through <day>`.",
)

wholesale_exports_job = dg.define_asset_job(
    "wholesale_exports",
    selection=dg.AssetSelection.assets(WHOLESALE_EXPORTS, MONTHLY_REPORT),
    executor_def=dg.in_process_executor,
    tags=WRITER_TAG,
    run_tags=WRITER_TAG,
    description="Write and verify the wholesale spec files of one month, and write the "
    "month's finance dashboard (as of its last run day).",
)


def now(timezone: str) -> datetime:
    """The operator's wall clock (tests replace it)."""
    return datetime.now(ZoneInfo(timezone))


def daily_billing(cycle: Cycle) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=billing_cycle,
        cron_schedule="30 23 * * *",
        execution_timezone=cycle.timezone,
        name="daily_billing",
        description="Every day at 23:30 operator time: that day's billing run.",
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = cycle.local_day(context.scheduled_execution_time).isoformat()
        return dg.RunRequest(run_key=f"daily-{day}", partition_key=day)

    return schedule


def monthly_wholesale(cycle: Cycle) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=wholesale_exports_job,
        cron_schedule="45 23 1 * *",
        execution_timezone=cycle.timezone,
        name="monthly_wholesale",
        description="On the 1st at 23:45 operator time: the previous month's spec files.",
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        first = cycle.local_day(context.scheduled_execution_time).replace(day=1)
        month = (first - timedelta(days=1)).replace(day=1)
        return dg.RunRequest(run_key=f"wholesale-{month:%Y-%m}", partition_key=month.isoformat())

    return schedule


def inbox_sensor(cycle: Cycle) -> dg.SensorDefinition:
    @dg.sensor(
        job=billing_cycle,
        name="inbox_sensor",
        minimum_interval_seconds=60,
        description="New order, activation or other input files in the inbox: move them into "
        "the input folder and run today's billing partition.",
    )
    def sensor(
        context: dg.SensorEvaluationContext, fiberbill: FiberbillResource
    ) -> dg.SensorResult | dg.SkipReason:
        moment = now(cycle.timezone)
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

    return sensor


def definitions(cycle: Cycle) -> dg.Definitions:
    """The automation domain: the two jobs, their schedules, the inbox sensor and the
    sensor that reports command-line runs."""
    return dg.Definitions(
        jobs=[billing_cycle, wholesale_exports_job],
        schedules=[daily_billing(cycle), monthly_wholesale(cycle)],
        sensors=[inbox_sensor(cycle), cli_runs_sensor(cycle)],
    )
