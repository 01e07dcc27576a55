"""Wholesale specifications: lines, adjustments from late news, append-only publication, and
the exported files, on the wholesale test network (tests/support/wholesale_network.py:
its docstring says what each order does and when the news arrives)."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from exports.wholesale import LAYOUTS, export_specs, verify_exports
from fiberbill import sqlfiles
from fiberbill.cli import main
from fiberbill.dbt import LEDGER_MARTS, run_dbt
from ingest.settings import Settings
from tests.support.inputs import run_args, write_table
from tests.support.marts import Marts, run
from tests.support.wholesale_network import PRODUCTS, write_network

# who the specs are from, and the days a provider has to pay them
SETTINGS = (
    'operator = { legal_name = "Fjordnett AS" }\n'
    "payment_terms_days = 14\n"
    "wholesale_payment_terms_days = 30\n"
)


def write_specs_network(folder):
    write_network(folder)
    (folder / "settings.toml").write_text(SETTINGS)
    return folder


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    base = tmp_path_factory.mktemp("wholesale")
    folder = write_specs_network(base / "data")
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
        "layout": 2,
        "provider_name": "One",
        "operator_name": "Fjordnett AS",
        "payment_terms_days": 30,
        "due_date": "2026-03-31",
    }
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    with (folder / "spec.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    # layout 2 adds columns after layout 1's, in this order
    assert reader.fieldnames[-7:] == [
        "original_month",
        "original_kind",
        "product_name",
        "unit_fee",
        "day_fraction",
        "proration",
        "description",
    ]
    assert [
        (r["kind"], r["order_id"], r["amount"], r["original_month"], r["original_kind"])
        for r in rows
    ] == [
        ("adjustment", "O2", "4.52", "2026-01", "recurring"),
        ("adjustment", "O2", "10.00", "2026-01", "start_fee"),
        ("recurring", "O1", "20.00", "2026-02", "recurring"),
        ("recurring", "O2", "20.00", "2026-02", "recurring"),
    ]
    assert [(r["unit_fee"], r["day_fraction"], r["proration"], r["description"]) for r in rows] == [
        (
            "20.00",
            "0.2258064516",
            "20.00 × 7/31",
            "Adjustment of Jan 2026: Wholesale 20 (order O2), 25 Jan 2026 – 31 Jan 2026, "
            "7 of 31 days",
        ),
        ("10.00", "", "", "Adjustment of Jan 2026: start fee, Wholesale 20 (order O2)"),
        (
            "20.00",
            "1.0000000000",
            "20.00 × 28/28",
            "Wholesale 20 (order O1), 1 Feb 2026 – 28 Feb 2026",
        ),
        (
            "20.00",
            "1.0000000000",
            "20.00 × 28/28",
            "Wholesale 20 (order O2), 1 Feb 2026 – 28 Feb 2026",
        ),
    ]
    import polars as pl

    frame = pl.read_parquet(folder / "spec.parquet")
    assert frame.height == 4 and str(frame["amount"].sum()) == "54.52"
    assert (
        frame["unit_fee"].to_list() == [Decimal("20.00"), Decimal("10.00")] + [Decimal("20.00")] * 2
    )


def read_rows(folder, name: str) -> list[dict]:
    with (folder / f"{name}.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def summary_text(folder) -> list[str]:
    """summary.html as the lines of text a reader sees (cells joined by " | ")."""
    page = re.sub(r"<style>.*?</style>", "", (folder / "summary.html").read_text(), flags=re.S)
    page = re.sub(r"</t[dh]>\s*<t[dh][^>]*>", " | ", page)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_the_summary_names_both_parties_and_compares_with_the_previous_month(specs):
    """February for P1: two orders of 28 days against January's one order of 22 days, and
    January's two late adjustments split by what they correct."""
    _, base = specs
    text = summary_text(base / "exports" / "wholesale" / "P1" / "2026-02")
    for line in (
        "Wholesale specification, February 2026",
        "From Fjordnett AS to One (provider P1)",
        "Made on | 1 March 2026",
        "Total | 54.52 EUR",
        "Payment terms | 30 days: due on 31 March 2026",
        "| February 2026 | January 2026 | Change",
        "Orders billed | 2 | 1 | +1",
        "Active days | 56 | 22 | +34",
        "Activations | 0 | 1 | -1",
        "Amount (EUR) | 54.52 | 24.19 | +30.33",
        "Recurring fees | 2 | 40.00",
        "Adjustments | 2 | 14.52",
        "January 2026 | Recurring fee | 1 | 4.52",
        "January 2026 | Start fee | 1 | 10.00",
        "Wholesale 20 (W20) at 20.00 | 4 | 54.52",
    ):
        assert line in text, line
    assert text.index("Recurring fees | 2 | 40.00") < text.index("Adjustments | 2 | 14.52")
    first = summary_text(base / "exports" / "wholesale" / "P1" / "2026-01")
    assert "No specification was made for December 2025: there is nothing to compare with." in (
        first
    )
    assert "Orders billed | 1 | – | –" in first


def test_every_recurring_line_is_its_unit_fee_times_its_day_fraction(specs):
    marts, _ = specs
    lines = marts.rows(
        "select amount, unit_fee, day_fraction, days, period_days, proration, kind from "
        "marts.wholesale_spec_lines where original_kind = 'recurring'"
    )
    assert len(lines) == 8
    for amount, fee, fraction, days, period_days, proration, kind in lines:
        if kind == "recurring":
            assert prorated(proration) == Decimal(amount)
        assert Decimal(fraction) == (Decimal(days) / Decimal(period_days)).quantize(
            Decimal("1e-10")
        )
        exact = Decimal(fee) * Decimal(fraction)
        assert (
            exact.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal(amount) or Decimal(amount) < 0
        )  # an adjustment that takes back is the difference with what was published


def prorated(proration: str) -> Decimal:
    """A proration's sum, as a provider would work it out: Σ fee × days / month's days,
    rounded once to the cent, half away from zero."""
    total = Decimal(0)
    for term in proration.split(" + "):
        fee, fraction = term.split(" × ")
        days, period = fraction.split("/")
        total += Decimal(fee) * Decimal(days) / Decimal(period)
    return total.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_a_fee_changed_within_the_month_is_checked_by_its_proration(tmp_path):
    """W20's wholesale fee goes from 20.00 to 30.00 on Feb 15: February's recurring lines
    are 14 days at each, 25.00, with no single unit fee and the proration written out."""
    folder = write_specs_network(tmp_path / "data")
    write_table(
        folder,
        "products",
        [dict(p) for p in PRODUCTS]
        + [PRODUCTS[0] | {"valid_from": "2026-02-15", "wholesale_monthly_fee": "30.00"}],
    )
    exports = tmp_path / "exports"
    assert cli_run(folder, tmp_path / "wh.duckdb", exports, "2026-03-01") == 0
    with (exports / "wholesale" / "P1" / "2026-02" / "spec.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "recurring"]
    assert [(r["order_id"], r["amount"], r["unit_fee"], r["proration"]) for r in rows] == [
        ("O1", "25.00", "", "20.00 × 14/28 + 30.00 × 14/28"),
        ("O2", "25.00", "", "20.00 × 14/28 + 30.00 × 14/28"),
    ]
    assert all(prorated(r["proration"]) == Decimal(r["amount"]) for r in rows)


def test_large_amounts_have_thousands_separators(tmp_path):
    """A provider with 60 orders at 1,234.50 a month: the summary writes 74,070.00."""
    folder = write_specs_network(tmp_path / "data")
    products = [dict(p) for p in PRODUCTS] + [
        {
            "product_id": "BIG",
            "provider_id": "P2",
            "name": "Dark fibre",
            "billing_cycle": "monthly",
            "monthly_price": "2000.00",
            "wholesale_monthly_fee": "1234.50",
            "retail_billed_by": "provider",
        }
    ]
    write_table(folder, "products", products)
    orders = read_rows(folder, "orders") + [
        {
            "order_id": f"B{i:02}",
            "customer_id": "C",
            "product_id": "BIG",
            "connection_id": f"KB{i:02}",
            "ordered_at": "2026-01-01",
        }
        for i in range(60)
    ]
    write_table(folder, "orders", orders)
    events = read_rows(folder, "activation_events") + [
        {
            "event_id": f"EB{i:02}",
            "order_id": f"B{i:02}",
            "event": "activated",
            "occurred_at": "2026-02-01",
        }
        for i in range(60)
    ]
    write_table(folder, "activation_events", events)
    exports = tmp_path / "exports"
    assert cli_run(folder, tmp_path / "wh.duckdb", exports, "2026-03-01") == 0
    text = summary_text(exports / "wholesale" / "P2" / "2026-02")
    assert "Total | 74,100.00 EUR" in text  # 60 x 1,234.50 + O3's 30.00
    assert "Dark fibre (BIG) at 1,234.50 | 60 | 74,070.00" in text


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
    folder = write_specs_network(tmp_path / "same")
    spec = base / "exports" / "wholesale" / "P2" / "2026-03" / "spec.csv"
    before = spec.read_bytes()
    warehouse, exports = base / "wh.duckdb", base / "exports"
    assert cli_run(folder, warehouse, exports, "2026-04-02") == 0
    assert spec.read_bytes() == before
    spec.write_bytes(before + b"tampered\n")
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 1
    assert spec.read_bytes() == before + b"tampered\n"
    spec.write_bytes(before)  # the module's later tests use the same exports


def test_a_call_hashes_a_delivered_file_again_only_when_its_size_or_time_changed(specs, tmp_path):
    """A call remembers, beside the warehouse, the delivered files it found matching their
    manifest; one with the same size and modification time is not read again (a call costs
    its new specs, not every month published), one touched since is. `verify_exports`
    reads every file every time."""
    _, base = specs
    folder = write_specs_network(tmp_path / "same")
    warehouse, exports = base / "wh.duckdb", base / "exports"
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 0
    spec = (exports / "wholesale" / "P2" / "2026-03" / "spec.csv").resolve()
    manifest = json.loads((spec.parent / "manifest.json").read_text())
    checked = json.loads((base / "wh.duckdb.exports-checked.json").read_text())
    assert checked[str(spec)] == [
        spec.stat().st_size,
        spec.stat().st_mtime_ns,
        manifest["files"]["spec.csv"],
    ]
    assert list(exports.rglob("*checked*")) == []  # not among what providers receive
    before, stat = spec.read_bytes(), spec.stat()
    forged = before.replace(b"O3", b"O4", 1)  # the same size, and its time put back
    assert forged != before
    spec.write_bytes(forged)
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 0
    assert verify_exports(warehouse, exports)[1][0].startswith(
        f"{spec}: does not match the sha256 in manifest.json"
    )
    os.utime(spec)  # touched: read again, and refused
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 1
    spec.write_bytes(before)
    assert cli_run(folder, warehouse, exports, "2026-04-03") == 0


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
    folder = write_specs_network(tmp_path / "data")
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
    folder = write_specs_network(tmp_path / "same")
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


def test_specs_published_before_layout_2_are_exported_in_layout_1_forever(tmp_path):
    """A warehouse billed before layout 2 existed (made here by dropping what layout 2
    added after February's specs): its January and February specs are written in layout 1
    to a new folder, as they were first delivered; March's, made after the upgrade, is in
    layout 2 and compares with February's published lines."""
    folder = write_specs_network(tmp_path / "data")
    warehouse = tmp_path / "wh.duckdb"
    assert cli_run(folder, warehouse, tmp_path / "first", "2026-03-02") == 0
    with duckdb.connect(str(warehouse)) as con:
        for table, added in (
            ("wholesale_spec_lines", ("unit_fee_cents", "product_name", "description")),
            ("wholesale_specs", ("layout", "provider_name", "operator_name", "payment_terms_days")),
        ):
            for column in added:
                con.execute(f"alter table ledger.{table} drop column {column}")
            con.execute(f"drop table marts.{table}")
    exports = tmp_path / "exports"
    assert cli_run(folder, warehouse, exports, "2026-04-01") == 0

    february = exports / "wholesale" / "P1" / "2026-02"
    manifest = json.loads((february / "manifest.json").read_text())
    assert sorted(manifest) == [
        "currency",
        "files",
        "generated_on",
        "line_count",
        "provider_id",
        "spec_month",
        "total",
    ]
    with (february / "spec.csv").open(newline="") as fh:
        assert next(csv.reader(fh)) == list(LAYOUTS[1])
    assert "Provider <b>P1</b>, month <b>2026-02</b>" in (february / "summary.html").read_text()

    march = exports / "wholesale" / "P1" / "2026-03"
    assert json.loads((march / "manifest.json").read_text())["layout"] == 2
    with (march / "spec.csv").open(newline="") as fh:
        assert next(csv.reader(fh)) == list(LAYOUTS[2])
    text = summary_text(march)
    assert "Orders billed | 1 | 2 | -1" in text
    assert "February 2026 | Recurring fee | 1 | -6.43" in text
    _, problems = verify_exports(warehouse, exports)
    assert problems == []


def test_an_export_of_chosen_months_writes_only_those(specs, tmp_path):
    marts, _ = specs
    assert export_specs(marts.warehouse, tmp_path, months=[]) == {"written": 0, "unchanged": 0}
    assert export_specs(marts.warehouse, tmp_path, months=["2026-02"]) == {
        "written": 2,
        "unchanged": 0,
    }
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("*/*/*")) == [
        "wholesale/P1/2026-02",
        "wholesale/P2/2026-02",
    ]
