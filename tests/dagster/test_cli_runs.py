"""Days billed by `fiberbill run` on the command line show as materialized in Dagster
(dagster_project/defs/automation/cli_runs.py), on the wholesale test network."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.automation import cli_runs
from dagster_project.resources import default_resource
from fiberbill.cli import main
from tests.support.inputs import run_args
from tests.support.wholesale_network import write_network


@pytest.fixture
def network(dbt_manifest, monkeypatch, tmp_path):
    folder = write_network(tmp_path / "data")
    monkeypatch.setenv("FIBERBILL_DATA_DIR", str(folder))
    monkeypatch.setenv("FIBERBILL_WAREHOUSE", str(tmp_path / "wh.duckdb"))
    monkeypatch.setenv("FIBERBILL_EXPORTS", str(tmp_path / "exports"))
    monkeypatch.setenv("FIBERBILL_FIRST_DAY", "2026-01-01")
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    from dagster_project.definitions import defs

    return defs(), folder, tmp_path


def days(first: date, last: date) -> set[str]:
    return {(first + timedelta(n)).isoformat() for n in range((last - first).days + 1)}


def evaluate(defs, instance, cursor):
    """The sensor's result of one evaluation."""
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"fiberbill": default_resource()},
    )
    return defs.get_sensor_def("cli_runs_sensor")(context)


def tick(defs, instance, cursor):
    """One evaluation of the sensor; its events stored as the daemon stores them."""
    result = evaluate(defs, instance, cursor)
    if isinstance(result, dg.SkipReason):
        return None, cursor
    for event in result.asset_events:
        instance.report_runless_asset_event(event)
    return result.asset_events, result.cursor


def test_command_line_runs_are_reported_as_materialized_days(network, monkeypatch):
    """Two command-line calls around a day Dagster billed itself: every day of the two
    calls is reported for every daily asset a call materializes (in ticks of at most
    MAX_EVENTS events), the day Dagster billed is not reported again, each spec month made
    is, and the newest day carries the row counts and totals the assets report."""
    defs, folder, tmp = network
    warehouse = tmp / "wh.duckdb"
    assert main(run_args(folder, warehouse, through="2026-01-20", exports=tmp / "exports")) == 0
    billing = defs.resolve_job_def("billing_cycle")
    assert billing.execute_in_process(partition_key="2026-01-21").success
    assert main(run_args(folder, warehouse, through="2026-03-01", exports=tmp / "exports")) == 0

    monkeypatch.setattr(cli_runs, "MAX_EVENTS", 900)
    instance = dg.DagsterInstance.ephemeral()
    cursor, ticks = None, 0
    while True:
        events, cursor = tick(defs, instance, cursor)
        if events is None:
            break
        ticks += 1
        assert len(events) <= 900 + 2  # and the spec months, once per call
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (first,) = con.execute("select min(run_date) from ledger.run_days").fetchone()
        invoices, total = con.execute(
            "select count(*), cast(sum(total) as varchar) from marts.invoices"
        ).fetchone()
        commands = con.execute("select command from ops.runs order by run_id").fetchall()
    assert commands == [("fiberbill run",), ("dagster issue",), ("fiberbill run",)]
    billed = days(first, date(2026, 1, 20)) | days(date(2026, 1, 22), date(2026, 3, 1))
    assert ticks > 3
    daily = [
        ["ledger", "invoices"],
        ["marts", "invoices"],
        ["intermediate", "int_charges__targets"],
        ["raw", "orders"],
    ]
    for key in daily:
        assert instance.get_materialized_partitions(dg.AssetKey(key)) == billed, key
    for key in (["reports", "finance_dashboard"], ["exports", "documents"]):
        assert not instance.get_materialized_partitions(dg.AssetKey(key))
    assert instance.get_materialized_partitions(dg.AssetKey(["exports", "wholesale_specs"])) == {
        "2026-01-01",
        "2026-02-01",
    }
    newest = instance.get_latest_materialization_event(dg.AssetKey(["marts", "invoices"]))
    metadata = newest.asset_materialization.metadata
    assert newest.asset_materialization.partition == "2026-03-01"
    assert metadata["dagster/row_count"].value == invoices
    assert metadata["total_total"].value == total
    assert metadata["fiberbill/run_id"].value == 3
    assert json.loads(cursor) == {"done": 3, "next": None, "run": None}
    # a later command-line call is reported at the next tick, and only its own day
    assert main(run_args(folder, warehouse, through="2026-03-02", exports=tmp / "exports")) == 0
    events, cursor = tick(defs, instance, cursor)
    assert {e.partition for e in events} == {"2026-03-02"}
    assert tick(defs, instance, cursor)[0] is None
    # while a run has the warehouse open for writing, a tick skips, and the next one reports
    assert main(run_args(folder, warehouse, through="2026-03-03", exports=tmp / "exports")) == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        skipped = evaluate(defs, instance, cursor)
        assert isinstance(skipped, dg.SkipReason)
        assert "another process is writing it" in skipped.skip_message
    finally:
        holder.kill()
        holder.wait()
    events, cursor = tick(defs, instance, cursor)
    assert {e.partition for e in events} == {"2026-03-03"}


# as a run does: the warehouse open for writing, which keeps every other process out
HOLD_OPEN = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""
