"""The billing cycle in Dagster: partitions and backfills give what `fiberbill run` gives,
the wholesale month exports the same files, the checks hold (and catch what they should),
the schedules pick the right partitions and the inbox sensor bills a new activation the
day it arrives.

The network is the wholesale test network (tests/wholesale/test_specs.py): provider P1's
W20 (retail 50.00 a month) and P2's provider-billed V30.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from dagster_project.resources import FiberbillResource
from exports.wholesale import verify_exports
from fiberbill.cli import main
from fiberbill.collection import checks
from fiberbill.dbt import DbtError, run_dbt
from fiberbill.ledger import TABLES
from tests.support.inputs import run_args, write_table
from tests.support.wholesale_network import write_network

UTC = ZoneInfo("UTC")


def ledger_rows(warehouse) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(
                f"select * exclude (completed_at) from ledger.{t} order by all"
                if t == "run_days"
                else f"select * from ledger.{t} order by all"
            ).fetchall()
            for t in TABLES
            if t not in ("invoice_finalizations", "invoice_status_history")
        } | {
            "status_history": con.execute(
                "select invoice_id, status_date, status, cause from "
                "ledger.invoice_status_history order by all"
            ).fetchall()
        }


def marts_rows(warehouse, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


@pytest.fixture
def network(dbt_manifest, monkeypatch, tmp_path):
    folder = write_network(tmp_path / "data")
    monkeypatch.setenv("FIBERBILL_DATA_DIR", str(folder))
    monkeypatch.setenv("FIBERBILL_WAREHOUSE", str(tmp_path / "dagster.duckdb"))
    monkeypatch.setenv("FIBERBILL_EXPORTS", str(tmp_path / "exports"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    from dagster_project.definitions import defs

    return defs(), folder, tmp_path


def test_a_day_then_a_backfill_give_the_ledger_of_fiberbill_run(network):
    defs, folder, tmp = network
    warehouse = tmp / "dagster.duckdb"
    billing = defs.resolve_job_def("billing_cycle")
    assert billing.execute_in_process(partition_key="2026-01-20").success
    # a backfill over the late activation recorded Feb 3 and the January spec of Feb 1
    backfill = billing.execute_in_process(
        tags={
            "dagster/asset_partition_range_start": "2026-01-21",
            "dagster/asset_partition_range_end": "2026-02-03",
        }
    )
    assert backfill.success
    # then no run for weeks: the next day materialized carries out every day since, as
    # `fiberbill run --through` does, and makes the February spec on Mar 1
    last = billing.execute_in_process(partition_key="2026-03-01")
    assert last.success
    cli = tmp / "cli.duckdb"
    assert main(run_args(folder, cli, through="2026-03-01", exports=tmp / "cli-exports")) == 0
    assert ledger_rows(warehouse) == ledger_rows(cli)
    for mart in ("invoices", "invoice_lines", "credit_notes", "wholesale_spec_lines"):
        assert marts_rows(warehouse, mart) == marts_rows(cli, mart), mart
    assert len(marts_rows(warehouse, "invoices")) >= 4
    # every check of the marts (their dbt tests, and auto_collection_attempted) ran and
    # passed in both runs: the ledger changed, so the marts step built them again
    marts_checks = {
        (k.asset_key.to_user_string(), k.name)
        for k in defs.resolve_asset_graph().asset_check_keys
        if k.asset_key.path[0] == "marts"
    }
    assert len(marts_checks) >= 10
    for result in (backfill, last):
        evaluations = {
            (e.asset_key.to_user_string(), e.check_name): e.passed
            for e in result.get_asset_check_evaluations()
        }
        assert evaluations[("marts/invoices", "assert_document_numbers_are_gapless")]
        assert evaluations[("marts/invoices", "assert_ledger_totals_match_marts")]
        assert evaluations[("marts/invoices", "auto_collection_attempted")]
        assert marts_checks <= set(evaluations), marts_checks - set(evaluations)
        assert all(evaluations.values())
    # materialization metadata: row counts and key totals
    mats = {
        m.asset_key.to_user_string(): m.metadata
        for m in last.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        invoices, lines_total = con.execute(
            "select (select count(*) from marts.invoices), sum(amount) from marts.invoice_lines"
        ).fetchone()
    assert mats["marts/invoices"]["dagster/row_count"].value == invoices
    assert mats["marts/invoice_lines"]["total_amount"].value == str(lines_total)
    assert mats["ledger/invoice_lines"]["total_amount"].value == str(lines_total)
    assert mats["raw/orders"]["dagster/row_count"].value == 3

    # the finance dashboard of the last day, from the finance marts: March to date is
    # what was invoiced on Mar 1
    day_folder = tmp / "exports" / "reports" / "2026-03-01"
    figures = json.loads((day_folder / "figures.json").read_text())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        issued = con.execute(
            "select currency, cast(sum(total) as varchar) from marts.invoices "
            "where issue_date = '2026-03-01' group by currency order by currency"
        ).fetchall()
    march = [
        (currency, by["months"][-1]["invoiced"])
        for currency, by in figures["by_currency"].items()
        if by["months"][-1]["month"] == "2026-03"
    ]
    assert issued and march == issued
    assert "<title>Overview" in (day_folder / "index.html").read_text()
    # every day of the backfill got its own dashboard
    assert (tmp / "exports" / "reports" / "2026-01-25" / "figures.json").is_file()

    # a day already run changes nothing, like `fiberbill run` through an earlier day
    before = ledger_rows(warehouse)
    assert billing.execute_in_process(partition_key="2026-02-01").success
    assert ledger_rows(warehouse) == before

    # the wholesale month writes the same files the CLI wrote
    exports = defs.resolve_job_def("wholesale_exports")
    february = exports.execute_in_process(partition_key="2026-02-01")
    assert february.success
    # with February's finance dashboard, as of its last run day
    monthly = json.loads((tmp / "exports" / "reports" / "2026-02" / "figures.json").read_text())
    assert monthly["as_of"] == "2026-02-28"
    written = sorted(
        p.relative_to(tmp / "exports") for p in (tmp / "exports" / "wholesale").rglob("*.*")
    )
    assert [str(p) for p in written] == [
        f"wholesale/{provider}/2026-02/{name}"
        for provider in ("P1", "P2")
        for name in ("manifest.json", "spec.csv", "spec.parquet", "summary.html")
    ]
    for path in written:
        assert (tmp / "exports" / path).read_bytes() == (tmp / "cli-exports" / path).read_bytes()
    check = february.get_asset_check_evaluations()
    assert [(c.check_name, c.passed) for c in check] == [("manifests_match_files", False)]
    # January is not exported yet, so the check (this month and those before) fails; once
    # it is, both pass
    assert exports.execute_in_process(partition_key="2026-01-01").success
    again = exports.execute_in_process(partition_key="2026-02-01")
    assert [c.passed for c in again.get_asset_check_evaluations()] == [True]
    # March's specs are made on April 1, which has not run
    march = exports.execute_in_process(partition_key="2026-03-01", raise_on_error=False)
    assert not march.success
    failure = march.get_step_failure_events()[0].event_specific_data.error.message
    assert "the specs of 2026-03 are made by the billing run of 2026-04-01" in failure


def test_the_checks_catch_a_gap_a_mismatch_a_forgotten_customer_and_a_changed_file(tmp_path):
    folder = write_network(tmp_path / "data")
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert main(run_args(folder, warehouse, through="2026-04-01", exports=exports)) == 0
    ledger_checks = ["assert_document_numbers_are_gapless", "assert_ledger_totals_match_marts"]
    run_dbt("test", warehouse, {"through": "2026-04-01"}, select=ledger_checks)  # pass
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert checks.unattempted_auto_invoices(con, collecting=True).passed  # all manual
    assert verify_exports(warehouse, exports) == (5, [])

    broken = tmp_path / "broken.duckdb"
    shutil.copyfile(warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute(
            "delete from ledger.invoices where invoice_number = "
            "(select min(invoice_number) from ledger.invoices)"
        )
        con.execute("update marts.credit_notes set amount = amount + 0.01")
        con.execute("update marts.invoices set collection_method = 'auto'")
        forgotten = checks.unattempted_auto_invoices(con, collecting=True)
        assert not forgotten.passed and forgotten.details["invoices"] > 0
        assert checks.unattempted_auto_invoices(con, collecting=False).passed
    for name in ledger_checks:
        with pytest.raises(DbtError, match=f"Fail in test {name}"):
            run_dbt(
                "test", broken, {"through": "2026-04-01"}, select=[name], flags=["--store-failures"]
            )
    with duckdb.connect(str(broken), read_only=True) as con:
        (audit,) = con.execute(  # where dbt stored the failing rows
            "select table_schema from information_schema.tables "
            "where table_name = 'assert_document_numbers_are_gapless'"
        ).fetchone()
        gaps = con.execute(
            f"select series from {audit}.assert_document_numbers_are_gapless"
        ).fetchall()
        assert gaps == [("INV-2026",)]
        totals = {
            figure: (in_ledger, in_marts)
            for figure, in_ledger, in_marts in con.execute(
                f"select figure, ledger_value, mart_value from {audit}.{ledger_checks[1]}"
            ).fetchall()
        }
        notes = con.execute("select count(*) from marts.credit_notes").fetchone()[0]
        in_ledger, in_marts = totals["credit notes"]
        assert notes > 0 and in_marts - in_ledger == notes  # one cent more on each

    spec = exports / "wholesale" / "P1" / "2026-02" / "spec.csv"
    spec.write_bytes(spec.read_bytes().replace(b"20.00", b"21.00"))
    checked, problems = verify_exports(warehouse, exports)
    assert checked == 5 and len(problems) == 1
    assert problems[0].startswith(f"{spec}: does not match the sha256 in manifest.json")


def run_request(result) -> dg.RunRequest:
    requests = result.run_requests if isinstance(result, dg.SensorResult) else [result]
    assert len(requests) == 1
    return requests[0]


def test_the_schedules_run_each_day_and_each_month_in_the_operators_timezone(
    dbt_manifest, monkeypatch
):
    from dagster_project.defs.automation import jobs
    from dagster_project.defs.partitions import Cycle

    def partition(schedule, moment: datetime) -> str:
        return run_request(
            schedule(dg.build_schedule_context(scheduled_execution_time=moment))
        ).partition_key

    daily, monthly = jobs.daily_billing(Cycle()), jobs.monthly_wholesale(Cycle())
    # the monthly cycle on the 1st, an anniversary on its day: every day is a run day
    assert partition(daily, datetime(2026, 3, 1, 23, 30, tzinfo=UTC)) == "2026-03-01"
    assert partition(daily, datetime(2026, 3, 17, 23, 30, tzinfo=UTC)) == "2026-03-17"
    # the previous month's specs, on the 1st
    assert partition(monthly, datetime(2026, 3, 1, 23, 45, tzinfo=UTC)) == "2026-02-01"
    assert partition(monthly, datetime(2026, 1, 1, 23, 45, tzinfo=UTC)) == "2025-12-01"
    # 22:30 UTC on Feb 28 is already March 1 in Auckland
    late = datetime(2026, 2, 28, 22, 30, tzinfo=UTC)
    auckland = jobs.daily_billing(Cycle(timezone="Pacific/Auckland"))
    assert auckland.execution_timezone == "Pacific/Auckland"
    assert partition(auckland, late) == "2026-03-01"
    assert partition(jobs.daily_billing(Cycle(timezone="Europe/Oslo")), late) == "2026-02-28"
    # the calendar is read when the definitions load, from the environment
    monkeypatch.setenv("FIBERBILL_TIMEZONE", "Pacific/Auckland")
    monkeypatch.setenv("FIBERBILL_FIRST_DAY", "2026-01-01")
    assert Cycle.from_environment() == Cycle("Pacific/Auckland", "2026-01-01")


def test_a_delivery_in_the_inbox_is_billed_the_day_it_arrives(network, monkeypatch):
    """O4 (customer A, W20 at 50.00 a month) is ordered and activated on Mar 5. The files
    arrive in the inbox that morning: the sensor moves them into the input folder and runs
    Mar 5, which issues O4's first invoice: 27/31 x 50.00 = 43.55."""
    defs, folder, tmp = network
    from dagster_project.defs.automation import jobs
    from dagster_project.defs.partitions import Cycle

    billing = defs.resolve_job_def("billing_cycle")
    assert billing.execute_in_process(partition_key="2026-03-04").success
    inbox = folder / "inbox"
    inbox.mkdir()
    write_table(
        inbox,
        "orders",
        [
            {
                "order_id": "O4",
                "customer_id": "A",
                "product_id": "W20",
                "connection_id": "K4",
                "ordered_at": "2026-03-01",
            }
        ],
        file_name="orders.2026-03-05.csv",
    )
    write_table(
        inbox,
        "activation_events",
        [{"event_id": "E4", "order_id": "O4", "event": "activated", "occurred_at": "2026-03-05"}],
        file_name="activation_events.2026-03-05.csv",
    )
    (inbox / "notes.txt").write_text("not an input table")
    (inbox / ".orders.2026-03-06.csv.part").write_text("still being uploaded")
    monkeypatch.setattr(jobs, "now", lambda timezone: datetime(2026, 3, 5, 9, 15, tzinfo=UTC))
    resource = FiberbillResource(data_dir=str(folder), warehouse=str(tmp / "dagster.duckdb"))
    context = dg.build_sensor_context(resources={"fiberbill": resource})

    sensor = jobs.inbox_sensor(Cycle())
    request = run_request(sensor(context))
    assert request.partition_key == "2026-03-05"
    assert request.tags["fiberbill/deliveries"] == "2"
    assert sorted(p.name for p in inbox.iterdir()) == [".orders.2026-03-06.csv.part", "notes.txt"]
    assert (folder / "orders.inbox-20260305T091500-orders.2026-03-05.csv").exists()
    again = sensor(dg.build_sensor_context(resources={"fiberbill": resource}))
    assert isinstance(again, dg.SkipReason)

    assert billing.execute_in_process(partition_key=request.partition_key).success
    with duckdb.connect(str(tmp / "dagster.duckdb"), read_only=True) as con:
        lines = con.execute(
            "select i.issue_date, l.kind, l.service_start, l.service_end, l.amount "
            "from marts.invoice_lines l join marts.invoices i using (invoice_number) "
            "where l.order_id = 'O4'"
        ).fetchall()
    assert [tuple(map(str, line)) for line in lines] == [
        ("2026-03-05", "recurring", "2026-03-05", "2026-03-31", "43.55")
    ]
