"""What `fiberbill run` did, shown in Dagster: the `cli_runs_sensor` reads the calls the
warehouse records (`ops.runs`, fiberbill/run.py) and reports, for each call made from the
command line, a runless materialization of every asset such a call materializes, for every
run day it carried out (and of the wholesale files of each spec month it made). The UI
then shows the days billed from the command line as materialized, instead of steering an
operator to "Materialize all" over days already billed.

The engine knows nothing of Dagster: it only records its calls. Calls Dagster made itself
(`dagster issue`, ...) are already in the instance and are skipped. The newest day of the
warehouse's last call carries the same row counts and totals the assets emit; every event
names its call. Dagster stores about a hundred events a second, so a call of many days
(`make demo`'s calls bill 117 days: some 11,200 events) is reported over several ticks,
oldest days first, at most MAX_EVENTS a tick; a daily call is about a hundred events.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.defs.billing.assets import KEY_TOTALS, LEDGER_TOTALS, table_metadata
from dagster_project.defs.partitions import Cycle
from dagster_project.defs.reports.assets import DAILY_REPORT
from dagster_project.defs.wholesale.assets import WHOLESALE_EXPORTS
from dagster_project.resources import FiberbillResource
from fiberbill.sqlfiles import SqlFiles
from ingest.errors import WarehouseInUse
from ingest.loader import connect, fetch

MAX_EVENTS = 2000
SQL = SqlFiles(Path(__file__).with_name("sql"))
# daily assets a command-line call does not materialize: the finance dashboard
# (`fiberbill report` writes it on demand) and the documents (rendered after the call,
# `--no-documents` skips them)
NOT_BY_THE_CLI = frozenset({DAILY_REPORT, dg.AssetKey(["exports", "documents"])})


def cli_calls(con: duckdb.DuckDBPyConnection, after: int, first_day: date) -> list[dict]:
    """The command-line calls recorded after run `after` that carried out run days: their
    run id, first and last day. A row from before `command` and `first_date` were recorded
    is a command-line call that began the day after the call before it (or `first_day`)."""
    exists = fetch(
        con,
        "select count(*) from information_schema.columns "
        "where table_schema = 'ops' and table_name = 'runs' and column_name = 'first_date'",
    )[0][0]
    if not exists:
        return []
    rows = SQL.rows(con, "cli_calls", {"after": after, "first_day": first_day})
    return [{"run_id": r, "first": f, "through": t} for r, f, t in rows]


def spec_months(con: duckdb.DuckDBPyConnection, first: date, through: date) -> list[str]:
    """The months whose wholesale specs were made on a day from `first` to `through`."""
    rows = fetch(
        con,
        "select distinct spec_month from marts.wholesale_specs "
        "where generated_on between ? and ? order by spec_month",
        [first, through],
    )
    return [month for (month,) in rows]


def _totals(key: dg.AssetKey) -> tuple[str, dict[str, str]] | None:
    """The relation and totals an asset's metadata is read from, for a table asset."""
    if len(key.path) != 2 or key.path[0] not in ("ledger", "staging", "intermediate", "marts"):
        return None
    totals = LEDGER_TOTALS if key.path[0] == "ledger" else KEY_TOTALS
    return ".".join(key.path), totals.get(key.path[1], {})


def _snapshot(con: duckdb.DuckDBPyConnection, keys: list[dg.AssetKey]) -> dict:
    """Row counts and totals of the table assets, as the assets themselves report them."""
    metadata = {}
    for key in keys:
        found = _totals(key)
        if found is None:
            continue
        try:
            metadata[key] = table_metadata(con, *found)
        except duckdb.Error:  # a relation the warehouse does not have (yet)
            continue
    return metadata


def report_events(
    con: duckdb.DuckDBPyConnection, cursor: dict, daily: list[dg.AssetKey], cycle: Cycle
) -> tuple[list[dg.AssetMaterialization], dict]:
    """The next events to report, at most MAX_EVENTS (and a call's spec months), oldest day
    first, so the newest day, which carries the row counts and totals, is an asset's latest
    materialization; and the cursor after them: `done`, the last call reported in full, and
    `run` and `next`, the call begun and the next day of it to report."""
    done = cursor.get("done", 0)
    calls = cli_calls(con, done, date.fromisoformat(cycle.first_day))
    last_call = fetch(con, "select max(run_id) from ops.runs")[0][0]
    budget = max(1, MAX_EVENTS // max(1, len(daily)))  # days this tick
    after: dict = {"done": done, "run": None, "next": None}
    events: list[dg.AssetMaterialization] = []
    for call in calls:
        run_id, first, through = call["run_id"], call["first"], call["through"]
        begun = cursor.get("run") == run_id and cursor.get("next")
        start = date.fromisoformat(cursor["next"]) if begun else first
        origin = {
            "fiberbill/run_id": dg.MetadataValue.int(run_id),
            "fiberbill/recorded_from": dg.MetadataValue.text(
                f"fiberbill run through {through.isoformat()} (command line): run days "
                f"{first.isoformat()} to {through.isoformat()}"
            ),
        }
        if not begun:  # the call's wholesale files, once
            events += [
                dg.AssetMaterialization(
                    asset_key=WHOLESALE_EXPORTS, partition=f"{month}-01", metadata=origin
                )
                for month in spec_months(con, first, through)
            ]
        end = min(through, start + timedelta(days=budget - 1))
        snapshot = _snapshot(con, daily) if run_id == last_call and end == through else {}
        day = start
        while day <= end:
            for key in daily:
                extra = snapshot.get(key, {}) if day == through else {}
                events.append(
                    dg.AssetMaterialization(
                        asset_key=key, partition=day.isoformat(), metadata={**origin, **extra}
                    )
                )
            day += timedelta(days=1)
        budget -= (end - start).days + 1
        if end < through:
            after = {"done": done, "run": run_id, "next": day.isoformat()}
            break
        done = run_id
        after = {"done": done, "run": None, "next": None}
        if budget <= 0:
            break
    return events, after


def daily_assets(context: dg.SensorEvaluationContext, cycle: Cycle) -> list[dg.AssetKey]:
    """The assets a command-line call materializes for each run day: every asset partitioned
    by billing day, but for the finance report and the documents."""
    graph = context.repository_def.asset_graph
    return sorted(
        (
            key
            for key in graph.materializable_asset_keys
            if graph.get(key).partitions_def == cycle.billing_days and key not in NOT_BY_THE_CLI
        ),
        key=lambda key: key.to_user_string(),
    )


def cli_runs_sensor(cycle: Cycle) -> dg.SensorDefinition:
    @dg.sensor(
        name="cli_runs_sensor",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Days billed by `fiberbill run` on the command line: reported as "
        "materialized (runless events from the warehouse's ops.runs), with row counts and "
        "totals on the newest day.",
    )
    def sensor(
        context: dg.SensorEvaluationContext, fiberbill: FiberbillResource
    ) -> dg.SensorResult | dg.SkipReason:
        warehouse = fiberbill.warehouse_path
        if not warehouse.is_file():
            return dg.SkipReason(f"{warehouse}: no warehouse yet")
        cursor = json.loads(context.cursor) if context.cursor else {}
        try:
            with connect(warehouse, read_only=True) as con:
                events, after = report_events(con, cursor, daily_assets(context, cycle), cycle)
        except (duckdb.Error, WarehouseInUse) as exc:  # busy, or no warehouse yet: next tick
            return dg.SkipReason(f"{warehouse}: not readable now ({exc})")
        if not events:
            return dg.SkipReason("no command-line run to report")
        return dg.SensorResult(asset_events=events, cursor=json.dumps(after, sort_keys=True))

    return sensor
