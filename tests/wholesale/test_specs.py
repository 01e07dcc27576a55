"""Wholesale specifications: lines, adjustments from late news, append-only publication, and
the exported files, on the wholesale test network (tests/support/wholesale_network.py:
its docstring says what each order does and when the news arrives)."""

from __future__ import annotations

import csv
import hashlib
import json

import duckdb
import pytest

from fiberbill import sqlfiles
from fiberbill.cli import main
from fiberbill.dbt import LEDGER_MARTS, run_dbt
from ingest.settings import Settings
from tests.support.inputs import run_args, write_table
from tests.support.marts import Marts, run
from tests.support.wholesale_network import write_network


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    base = tmp_path_factory.mktemp("wholesale")
    folder = write_network(base / "data")
    assert cli_run(folder, base / "wh.duckdb", base / "exports", "2026-04-01") == 0
    return Marts(base / "wh.duckdb"), base


def lines(marts: Marts, provider: str, month: str) -> list[tuple]:
    return marts.rows(
        "select kind, order_id, service_start, service_end, days, period_days, amount, "
        "original_month from marts.wholesale_spec_lines where provider_id = ? and "
        "spec_month = ? order by line_number",
        [provider, month],
    )


def test_january_is_prorated_daily_with_the_start_fee(specs):
    """O1: 22/31 x 20.00 = 14.19 and the 10.00 start fee. O2 was not known on Feb 1."""
    marts, _ = specs
    assert lines(marts, "P1", "2026-01") == [
        ("recurring", "O1", "2026-01-10", "2026-01-31", "22", "31", "14.19", "2026-01"),
        ("start_fee", "O1", "2026-01-10", "2026-01-10", None, None, "10.00", "2026-01"),
    ]


def test_news_recorded_after_a_spec_was_made_becomes_adjustments_in_the_next(specs):
    """February (made Mar 1): O2's late January (7/31 x 20.00 = 4.52 and its start fee) as
    adjustments, then both orders' full February. March (made Apr 1): O1's termination on
    Feb 20, recorded Mar 5, takes back 20.00 - 19/28 x 20.00 = 6.43 of February."""
    marts, _ = specs
    assert lines(marts, "P1", "2026-02") == [
        ("adjustment", "O2", "2026-01-25", "2026-01-31", "7", "31", "4.52", "2026-01"),
        ("adjustment", "O2", "2026-01-25", "2026-01-25", None, None, "10.00", "2026-01"),
        ("recurring", "O1", "2026-02-01", "2026-02-28", "28", "28", "20.00", "2026-02"),
        ("recurring", "O2", "2026-02-01", "2026-02-28", "28", "28", "20.00", "2026-02"),
    ]
    assert lines(marts, "P1", "2026-03") == [
        ("adjustment", "O1", "2026-02-01", "2026-02-19", "19", "28", "-6.43", "2026-02"),
        ("recurring", "O2", "2026-03-01", "2026-03-31", "31", "31", "20.00", "2026-03"),
    ]


def test_a_provider_that_bills_its_own_subscribers_still_gets_its_spec(specs):
    marts, _ = specs
    assert lines(marts, "P2", "2026-02") == [
        ("recurring", "O3", "2026-02-01", "2026-02-28", "28", "28", "30.00", "2026-02")
    ]
    assert marts.rows(
        "select provider_id, spec_month, line_count, total, currency, generated_on "
        "from marts.wholesale_specs order by provider_id, spec_month"
    ) == [
        ("P1", "2026-01", "2", "24.19", "EUR", "2026-02-01"),
        ("P1", "2026-02", "4", "54.52", "EUR", "2026-03-01"),
        ("P1", "2026-03", "2", "13.57", "EUR", "2026-04-01"),
        ("P2", "2026-02", "1", "30.00", "EUR", "2026-03-01"),
        ("P2", "2026-03", "1", "30.00", "EUR", "2026-04-01"),
    ]


def test_the_exported_files_match_the_marts_and_the_manifest(specs):
    marts, base = specs
    folder = base / "exports" / "wholesale" / "P1" / "2026-02"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "spec.csv",
        "spec.parquet",
        "summary.html",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {k: v for k, v in manifest.items() if k != "files"} == {
        "provider_id": "P1",
        "spec_month": "2026-02",
        "line_count": 4,
        "total": "54.52",
        "currency": "EUR",
        "generated_on": "2026-03-01",
    }
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    with (folder / "spec.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["kind"], r["order_id"], r["amount"], r["original_month"]) for r in rows] == [
        ("adjustment", "O2", "4.52", "2026-01"),
        ("adjustment", "O2", "10.00", "2026-01"),
        ("recurring", "O1", "20.00", "2026-02"),
        ("recurring", "O2", "20.00", "2026-02"),
    ]
    import polars as pl

    frame = pl.read_parquet(folder / "spec.parquet")
    assert frame.height == 4 and str(frame["amount"].sum()) == "54.52"
    html = (folder / "summary.html").read_text()
    assert "54.52 EUR" in html and "W20" in html


def test_providers_receive_only_their_own_orders_and_no_customer_data(specs):
    _, base = specs
    root = base / "exports" / "wholesale"
    assert sorted(p.name for p in root.iterdir()) == ["P1", "P2"]
    for provider, orders in (("P1", {"O1", "O2"}), ("P2", {"O3"})):
        for csv_file in (root / provider).glob("*/spec.csv"):
            text = csv_file.read_text()
            assert "Secret Name" not in text and "@x.net" not in text
            with csv_file.open(newline="") as fh:
                assert {r["order_id"] for r in csv.DictReader(fh)} <= orders


def test_a_published_spec_is_never_rewritten(specs, tmp_path):
    """A second call leaves the files alone; a file changed on disk is a loud error."""
    marts, base = specs
    folder = write_network(tmp_path / "same")
    spec = base / "exports" / "wholesale" / "P2" / "2026-03" / "spec.csv"
    before = spec.read_bytes()
    warehouse, exports = base / "wh.duckdb", base / "exports"
    assert cli_run(folder, warehouse, exports, "2026-04-02") == 0
    assert spec.read_bytes() == before
    spec.write_bytes(before + b"tampered\n")
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 1
    assert spec.read_bytes() == before + b"tampered\n"
    spec.write_bytes(before)  # the module's later tests use the same exports


def cli_run(folder, warehouse, exports, through: str) -> int:
    return main(run_args(folder, warehouse, through=through, exports=exports))


def published(warehouse) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            t: con.execute(f"select * from ledger.{t} order by all").fetchall()
            for t in ("wholesale_specs", "wholesale_spec_lines")
        }


def test_a_crash_while_publishing_keeps_nothing_and_the_rerun_publishes_the_same(
    specs, tmp_path, monkeypatch
):
    """The run crashes on Mar 1 between writing February's lines and its specs: nothing of
    that call is kept, and the rerun publishes exactly what a clean run does."""
    folder = write_network(tmp_path / "data")
    warehouse, exports = tmp_path / "wh.duckdb", tmp_path / "exports"
    assert cli_run(folder, warehouse, exports, "2026-02-27") == 0
    before = published(warehouse)
    real_fetch = sqlfiles.fetch

    def crash_before_the_specs(con, query, params=None):
        if "insert into ledger.wholesale_specs" in query:
            raise RuntimeError("injected crash")
        return real_fetch(con, query, params)

    monkeypatch.setattr(sqlfiles, "fetch", crash_before_the_specs)
    assert cli_run(folder, warehouse, exports, "2026-04-01") == 1
    assert published(warehouse) == before
    assert sorted(p.name for p in (exports / "wholesale" / "P1").iterdir()) == ["2026-01"]
    monkeypatch.setattr(sqlfiles, "fetch", real_fetch)
    assert cli_run(folder, warehouse, exports, "2026-04-01") == 0
    clean, clean_base = specs  # one clean call through Apr 1
    assert published(warehouse) == published(clean.warehouse)
    files = sorted((exports / "wholesale").glob("*/*/*"))
    assert len(files) == 5 * 4
    for spec in files:
        twin = clean_base / "exports" / spec.relative_to(exports)
        assert spec.read_bytes() == twin.read_bytes(), spec


def test_a_full_refresh_and_a_rerun_never_change_a_published_spec(specs):
    marts, base = specs
    before = published(marts.warehouse)
    dbt_vars = Settings().as_dbt_vars() | {"through": "2026-04-01"}
    run_dbt("build", marts.warehouse, dbt_vars, exclude=[LEDGER_MARTS], flags=["--full-refresh"])
    run_dbt("build", marts.warehouse, dbt_vars, select=[LEDGER_MARTS], flags=["--full-refresh"])
    assert published(marts.warehouse) == before
    assert len(before["wholesale_specs"]) == 5


def test_an_interrupted_export_is_completed_and_a_changed_manifest_is_refused(specs, tmp_path):
    """Files written but no manifest yet (a crash mid-export): the next call rebuilds them,
    finds them equal, and writes the manifest. A manifest that no longer names the published
    spec, or a file missing beside it, fails the call and changes nothing."""
    marts, base = specs
    folder = write_network(tmp_path / "same")
    spec = base / "exports" / "wholesale" / "P1" / "2026-02"
    originals = {p.name: p.read_bytes() for p in spec.iterdir()}
    (spec / "manifest.json").unlink()
    assert cli_run(folder, marts.warehouse, base / "exports", "2026-04-04") == 0
    assert {p.name: p.read_bytes() for p in spec.iterdir()} == originals

    manifest = json.loads(originals["manifest.json"])
    (spec / "manifest.json").write_text(json.dumps(manifest | {"total": "54.53"}))
    assert cli_run(folder, marts.warehouse, base / "exports", "2026-04-05") == 1
    (spec / "manifest.json").write_bytes(originals["manifest.json"])
    (spec / "summary.html").unlink()
    assert cli_run(folder, marts.warehouse, base / "exports", "2026-04-06") == 1
    assert sorted(p.name for p in spec.iterdir()) == ["manifest.json", "spec.csv", "spec.parquet"]
    (spec / "summary.html").write_bytes(originals["summary.html"])

    (spec / "manifest.json").unlink()
    (spec / "spec.csv").write_bytes(originals["spec.csv"].replace(b"20.00", b"21.00"))
    assert cli_run(folder, marts.warehouse, base / "exports", "2026-04-07") == 1
    assert not (spec / "manifest.json").exists()
    assert sorted(p.name for p in spec.iterdir()) == ["spec.csv", "spec.parquet", "summary.html"]
    (spec / "spec.csv").write_bytes(originals["spec.csv"])
    assert cli_run(folder, marts.warehouse, base / "exports", "2026-04-08") == 0
    assert {p.name: p.read_bytes() for p in spec.iterdir()} == originals


def test_the_operator_bills_only_network_access_and_the_isp_bills_its_service(tmp_path):
    """Open access model 2: the operator (provider OP) sells network access (ACCESS, 25.00
    retail, no wholesale fee) and bills the subscriber for it; the ISP (provider P1) sells
    the service (NET, 40.00, retail_billed_by provider) on the same connection and pays a
    wholesale fee of 15.00 a month for it. Active from Jan 1."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_table(
        folder,
        "providers",
        [
            {"provider_id": "OP", "name": "Operator", "currency": "EUR"},
            {"provider_id": "P1", "name": "ISP", "currency": "EUR"},
        ],
    )
    write_table(
        folder,
        "products",
        [
            {
                "product_id": "ACCESS",
                "provider_id": "OP",
                "name": "Network access",
                "billing_cycle": "monthly",
                "monthly_price": "25.00",
            },
            {
                "product_id": "NET",
                "provider_id": "P1",
                "name": "Internet 500",
                "billing_cycle": "monthly",
                "monthly_price": "40.00",
                "wholesale_monthly_fee": "15.00",
                "retail_billed_by": "provider",
            },
        ],
    )
    write_table(folder, "customers", [{"customer_id": "A", "name": "Ann"}])
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": o,
                "customer_id": "A",
                "product_id": p,
                "connection_id": "K1",
                "ordered_at": "2025-12-20",
            }
            for o, p in (("OA", "ACCESS"), ("ON", "NET"))
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {"event_id": f"E{o}", "order_id": o, "event": "activated", "occurred_at": "2026-01-01"}
            for o in ("OA", "ON")
        ],
    )
    (folder / "settings.toml").write_text('late_fee = { kind = "none" }\n')
    run(folder, tmp_path / "wh.duckdb", through="2026-02-01")
    marts = Marts(tmp_path / "wh.duckdb")
    assert marts.rows(
        "select order_id, kind, amount from marts.invoice_lines "
        "order by invoice_number, line_number"
    ) == [("OA", "recurring", "25.00"), ("OA", "recurring", "25.00")]
    assert marts.rows(
        "select provider_id, kind, order_id, amount from marts.wholesale_spec_lines"
    ) == [("P1", "recurring", "ON", "15.00")]
