"""Runs over time: settings, knowledge that arrives late, repeated calls, crashes and full
refreshes never change an issued document."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest

from fiberbill import build_stamps, ledger
from fiberbill import run as runner
from fiberbill.cli import main
from fiberbill.dbt import AS_OF_RUN_DAY, LEDGER_MARTS, run_dbt
from fiberbill.portal.snapshot import snapshot_path
from ingest.settings import Settings
from tests.support.inputs import run_args, write_table
from tests.support.marts import Marts, contents, run
from tests.support.scenario import ORDER_EVENTS, write_scenario

LEDGER_TABLES = ("invoices", "invoice_lines", "credit_notes", "credit_allocations", "invoice_voids")


def ledger_snapshot(warehouse) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: sorted(map(str, con.execute(f"select * from ledger.{t}").fetchall()))
            for t in LEDGER_TABLES
        }


@pytest.fixture(scope="module")
def april(tmp_path_factory):
    """The scenario billed in one clean call through Apr 20: what the tests below compare
    their interrupted, repeated or refreshed calls with (read only; copy it to change it)."""
    base = tmp_path_factory.mktemp("april")
    folder, warehouse = write_scenario(base / "data"), base / "wh.duckdb"
    run(folder, warehouse, through="2026-04-20")
    return folder, warehouse


def test_anniversary_unused_days_are_credited_when_the_setting_says_so(tmp_path):
    """refund_unused_days.anniversary = true: anchor Jan 15, terminated Feb 20. The
    Feb 15-Mar 14 period (28 days) was billed 60.00; now owed Feb 15-19 = 5/28 x 60 = 10.71,
    so a termination_refund of 49.29."""
    folder = write_scenario(
        tmp_path / "data", settings="refund_unused_days = { anniversary = true }\n"
    )
    run(folder, tmp_path / "wh.duckdb", through="2026-03-31")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.credit_notes("CF") == [("2026-02-20", "2026-02-15", "termination_refund", "49.29")]


def test_monthly_unused_days_are_kept_when_refunds_are_off(tmp_path):
    folder = write_scenario(
        tmp_path / "data", settings="refund_unused_days = { monthly = false }\n"
    )
    run(folder, tmp_path / "wh.duckdb", through="2026-03-31")
    assert Marts(tmp_path / "wh.duckdb").credit_notes("CB") == []


def test_a_row_loaded_late_counts_as_recorded_on_the_first_day_of_its_call(tmp_path):
    """Billed through Mar 10. The next call brings OB's termination (effective Mar 20)
    stamped recorded Mar 1, a day already run: it counts as recorded Mar 11, so the
    already-billed March is credited on Mar 11: 60.00 - 19/31 x 60 = 23.23."""
    folder = write_scenario(tmp_path / "data", order_events=[])
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-03-10")
    write_table(
        folder,
        "order_events",
        [
            {
                "order_id": "OB",
                "event": "terminated",
                "effective_at": "2026-03-20",
                "recorded_at": "2026-03-01",
            }
        ],
    )
    run(folder, warehouse, through="2026-03-31")
    assert Marts(warehouse).credit_notes("CB") == [
        ("2026-03-11", "2026-03-01", "termination_refund", "23.23")
    ]


def test_a_second_call_changes_nothing_and_a_later_one_continues(tmp_path, april):
    folder, warehouse = write_scenario(tmp_path / "data"), tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-03-10")
    first, whole = ledger_snapshot(warehouse), contents(warehouse)
    published = os.path.realpath(snapshot_path(warehouse))
    run(folder, warehouse, through="2026-03-10")
    # nothing new: nothing written, nothing built, the snapshot left as it was published
    assert ledger_snapshot(warehouse) == first and contents(warehouse) == whole
    assert os.path.realpath(snapshot_path(warehouse)) == published
    run(folder, warehouse, through="2026-04-20")
    continued = ledger_snapshot(warehouse)
    # the same as one call through the end, and nothing issued before Mar 11 changed
    _, clean = april
    assert continued == ledger_snapshot(clean)
    for mart in ("invoices", "invoice_lines", "credit_notes", "revenue_assurance"):
        query = f"select * from marts.{mart} order by all"
        assert Marts(warehouse).rows(query) == Marts(clean).rows(query), mart
    assert set(first["invoices"]) <= set(continued["invoices"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        days = con.execute(
            "select min(run_date), max(run_date), count(*) from ledger.run_days"
        ).fetchone()
    assert str(days[0]) == "2026-01-10" and str(days[1]) == "2026-04-20" and days[2] == 101


def test_a_call_does_only_the_dbt_work_its_news_needs(tmp_path, monkeypatch):
    """Nothing new: no dbt at all. Only a new day: the models that read the run day.
    A new file: everything but the views, which are as of the project alone. A build by
    another front door, or a changed project: everything."""
    folder, warehouse = write_scenario(tmp_path / "data"), tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-01-31")
    invoices = Marts(warehouse).rows("select * from marts.invoices order by invoice_number")
    builds, real = [], runner.run_dbt

    def counting(command, work, dbt_vars, select=(), exclude=(), rebuild_views=True, **kwargs):
        builds.append((list(select), list(exclude), rebuild_views))
        return real(
            command,
            work,
            dbt_vars,
            select=select,
            exclude=exclude,
            rebuild_views=rebuild_views,
            **kwargs,
        )

    def calls(through: str) -> list:
        builds.clear()
        run(folder, warehouse, through=through)
        return list(builds)

    monkeypatch.setattr(runner, "run_dbt", counting)
    everything = [([], [LEDGER_MARTS], True), ([LEDGER_MARTS], [], True)]
    all_but_views = [([], [LEDGER_MARTS], False), ([LEDGER_MARTS], [], False)]
    assert calls("2026-01-31") == []
    assert Marts(warehouse).rows("select * from marts.invoices order by invoice_number") == invoices
    new_day = calls("2026-02-01")
    assert new_day == [([AS_OF_RUN_DAY], [LEDGER_MARTS], True), ([LEDGER_MARTS], [], False)]
    late = {
        "order_id": "OA",
        "event": "terminated",
        "effective_at": "2026-03-15",
        "recorded_at": "2026-02-01",
    }
    write_table(folder, "order_events", [late], file_name="order_events.2026-02-01.csv")
    assert calls("2026-02-01") == all_but_views
    # any build through another front door (an admin command, Dagster) forgets the stamps
    run_dbt("build", warehouse, {"through": "2026-02-01"}, select=[LEDGER_MARTS])
    assert calls("2026-02-01") == everything
    # a view dropped by hand is made again by the next call with work to do
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop view staging.stg_ledger__run_days")
    write_table(folder, "order_events", [late | {"order_id": "OB"}], "order_events.b.csv")
    assert calls("2026-02-01") == everything
    monkeypatch.setattr(build_stamps, "project_digest", lambda: "a changed model")
    assert calls("2026-02-01") == everything


def test_a_crash_between_writing_documents_and_recording_the_day_loses_nothing(
    tmp_path, monkeypatch, april
):
    folder, warehouse = write_scenario(tmp_path / "data"), tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-02-28")
    before = contents(warehouse)
    real_fetch = ledger.fetch

    def crash_on_recording_the_day(con, query, params=None):
        if "insert into ledger.run_days" in query and str(params[0]) == "2026-03-20":
            raise RuntimeError("injected crash")
        return real_fetch(con, query, params)

    monkeypatch.setattr(ledger, "fetch", crash_on_recording_the_day)
    assert main(run_args(folder, warehouse, through="2026-04-20")) == 1
    assert contents(warehouse) == before  # nothing of the failed call was kept
    with duckdb.connect(str(warehouse), read_only=True) as con:
        calls = con.execute("select state, steps from ops.calls order by ended_at").fetchall()
    assert calls == [
        ("finished", "['load', 'derive', 'issue', 'marts']"),
        ("undone", "['load', 'derive', 'issue']"),
    ]
    monkeypatch.setattr(ledger, "fetch", real_fetch)
    run(folder, warehouse, through="2026-04-20")
    assert ledger_snapshot(warehouse) == ledger_snapshot(april[1])


def test_a_full_refresh_of_the_models_never_touches_issued_documents(tmp_path, april):
    folder, warehouse = april[0], tmp_path / "wh.duckdb"
    shutil.copyfile(april[1], warehouse)  # the same file name: dbt names the catalog after it
    before = ledger_snapshot(warehouse)
    dbt_vars = Settings().as_dbt_vars() | {"through": "2026-04-20"}
    run_dbt("build", warehouse, dbt_vars, exclude=[LEDGER_MARTS], flags=["--full-refresh"])
    run_dbt("build", warehouse, dbt_vars, select=[LEDGER_MARTS], flags=["--full-refresh"])
    assert ledger_snapshot(warehouse) == before
    run(folder, warehouse, through="2026-04-20")
    assert ledger_snapshot(warehouse) == before


def test_drafts_wait_without_a_number_when_auto_finalize_is_off(tmp_path):
    folder = write_scenario(tmp_path / "data", settings="auto_finalize = false\n")
    run(folder, tmp_path / "wh.duckdb", through="2026-01-31")
    rows = Marts(tmp_path / "wh.duckdb").rows(
        "select invoice_number, issue_date, due_date, status from marts.invoices"
    )
    assert rows and all(r == (None, None, None, "draft") for r in rows)


@pytest.mark.parametrize("prefix", ["F", "BILL"])
def test_invoice_and_credit_note_prefixes_come_from_settings(tmp_path, prefix):
    folder = write_scenario(
        tmp_path / "data",
        order_events=ORDER_EVENTS,
        settings=f'invoice_prefix = "{prefix}"\ncredit_note_prefix = "{prefix}C"\n',
    )
    run(folder, tmp_path / "wh.duckdb", through="2026-03-20")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows("select min(invoice_number) from marts.invoices") == [
        (f"{prefix}-2026-000001",)
    ]
    assert marts.rows("select min(credit_note_number) from marts.credit_notes") == [
        (f"{prefix}C-2026-000001",)
    ]


def test_the_runner_reports_what_it_issued(tmp_path):
    folder = write_scenario(tmp_path / "data")
    result = runner.run(
        folder, runner.date(2026, 1, 31), warehouse=tmp_path / "wh.duckdb", payments="none"
    )
    assert result.issued["days"] == 22  # Jan 10 .. Jan 31
    assert result.mart_counts["invoices"] == result.issued["invoices"]
