"""`fiberbill report`: the finance dashboard of a run day is what was known at the end of
that day, the same whenever it is made.

The golden scenario is billed through Feb 15 and the report of Feb 15 written. Then a
manual payment of 141.58 for CA's first invoice INV-2026-000001 (issued Jan 10), received
Feb 10, arrives late: a second call loads it and bills through Mar 15. The report of Feb 15
made then is byte for byte the one made on Feb 15: the payment is known from Feb 16, the
first run day of the call that loaded it, and counts there.
"""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb
import pytest

from exports.dashboard import PAGES
from fiberbill.cli import main
from tests.support.inputs import run_args, write_table
from tests.support.scenario import write_scenario

LATE_PAYMENT = {
    "payment_id": "PAY-LATE",
    "invoice_number": "INV-2026-000001",
    "amount": "141.58",
    "currency": "EUR",
    "received_at": "2026-02-10",
    "method": "bank_transfer",
}
FILES = ["figures.json"] + [f"{page}.html" for page, _ in PAGES]


def report(warehouse, day, out):
    assert main(["report", "--warehouse", str(warehouse), "--as-of", day, "--out", str(out)]) == 0
    return {name: (out / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def two_calls(tmp_path_factory):
    base = tmp_path_factory.mktemp("as-of")
    data = write_scenario(base / "data")
    warehouse = base / "wh.duckdb"
    assert main(run_args(data, warehouse, "--no-documents", through="2026-02-15")) == 0
    made_that_day = report(warehouse, "2026-02-15", base / "on-the-day")
    write_table(data, "payments", [LATE_PAYMENT])
    assert main(run_args(data, warehouse, "--no-documents", through="2026-03-15")) == 0
    return base, warehouse, made_that_day


def test_the_report_of_a_day_made_a_month_later_is_the_same(two_calls):
    base, warehouse, made_that_day = two_calls
    made_later = report(warehouse, "2026-02-15", base / "a-month-later")
    for name in FILES:
        assert made_later[name] == made_that_day[name], name


def test_a_late_payment_counts_from_the_first_run_day_that_knew_it(two_calls):
    base, warehouse, _ = two_calls
    with duckdb.connect(str(warehouse), read_only=True) as con:
        manual = con.execute(
            "select day, collected_manual from marts.finance_daily "
            "where collected_manual <> 0 order by day"
        ).fetchall()
        standing = con.execute(
            "select valid_from, status, amount_due from marts.invoice_standing_history "
            "where invoice_number = 'INV-2026-000001' and valid_from >= '2026-02-01' "
            "order by valid_from"
        ).fetchall()
    assert [(str(d), a) for d, a in manual] == [("2026-02-16", Decimal("141.58"))]
    assert [(str(d), s, a) for d, s, a in standing] == [
        ("2026-02-01", "late", Decimal("141.58")),
        ("2026-02-16", "paid", Decimal("0.00")),
    ]
    figures = json.loads(report(warehouse, "2026-03-15", base / "later")["figures.json"])
    months = {m["month"]: m for m in figures["by_currency"]["EUR"]["months"]}
    assert months["2026-02"]["collected_manual"] == "141.58"
    assert months["2026-03"]["collected_manual"] == "0.00"


def test_the_report_shows_each_figure_as_the_marts_hold_it(two_calls):
    """figures.json of Feb 15: MRR and subscriptions of that day, January's invoicing, and
    the receivables of the ageing mart that day, as exact decimal text."""
    base, warehouse, made_that_day = two_calls
    figures = json.loads(made_that_day["figures.json"])
    assert figures["as_of"] == "2026-02-15" and figures["currencies"] == ["EUR"]
    eur = figures["by_currency"]["EUR"]
    kpis = {k["key"]: k for k in eur["kpis"]}
    # Feb 15: Jan 31's seven less CK (known terminated Feb 12), plus CH's two (Feb 1)
    assert kpis["mrr"]["value"] == "380.02" and kpis["mrr"]["previous"] == "420.00"
    assert kpis["active_subscriptions"]["value"] == 8
    assert eur["months"][0]["month"] == "2026-01" and eur["months"][0]["invoiced"] == "806.61"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (receivables,) = con.execute(
            "select total_outstanding from marts.receivables_ageing_daily "
            "where as_of_date = '2026-02-15'"
        ).fetchone()
    assert kpis["receivables"]["value"] == str(receivables)
    movement = eur["mrr_movement"]
    assert (movement["start"], movement["mrr_new"], movement["mrr_churn"], movement["end"]) == (
        "420.00",
        "80.02",
        "-120.00",
        "380.02",
    )
    html = made_that_day["index.html"].decode()
    assert "€380.02" in html and "Monthly recurring revenue" in html
    # nothing to fetch: no script, and no address but the SVG namespaces
    assert "<script" not in html
    namespaces = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http-equiv")
    for namespace in namespaces:
        html = html.replace(namespace, "")
    assert "http" not in html and "src=" not in html


def test_a_day_that_was_not_run_is_refused_in_one_line(two_calls, capsys):
    base, warehouse, _ = two_calls
    out = base / "refused"
    args = ["--warehouse", str(warehouse), "--as-of", "2026-05-01", "--out", str(out)]
    code = main(["report", *args])
    err = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert err.strip() == (
        f"fiberbill: error: --as-of 2026-05-01: not a run day of {warehouse} "
        "(its run days are 2026-01-10 to 2026-03-15)"
    )


def test_without_as_of_the_last_run_day_is_reported_and_its_path_printed(two_calls, capsys):
    base, warehouse, _ = two_calls
    out = base / "latest"
    assert main(["report", "--warehouse", str(warehouse), "--out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"finance dashboard of 2026-03-15: {(out / 'index.html').resolve()}" in printed
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    assert figures["as_of"] == "2026-03-15"
