"""The ten example queries of docs/analysts.md, run on a network of the demo's size: the
demo's own generated inputs (1,000 subscribers, 4 providers, EUR and USD, Nov 2025 to Feb
2026), billed in two calls with the transfers of the customers who pay by transfer
delivered between them, without Stripe (tests/collection/test_e2e_generated.py runs them
with Stripe). Each query gives the columns the document shows, and its totals are those
of the contract marts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from fiberbill.cli import main
from fiberbill.samples.generator import NetworkSpec, generate, generate_payments
from sandbox.analysts import examples, run
from tests.support.inputs import run_args

# the Makefile's demo network
DEMO = NetworkSpec(subscribers=1000, providers=4, start=date(2025, 11, 1), months=4, seed=7)
EXAMPLES = examples()


@pytest.fixture(scope="module")
def demo_sized(tmp_path_factory):
    base = tmp_path_factory.mktemp("analysts")
    data, warehouse = base / "data", base / "wh.duckdb"
    generate(DEMO, data)
    assert main(run_args(data, warehouse, "--no-documents", through="2026-01-15")) == 0
    assert generate_payments(warehouse, data) > 0
    assert main(run_args(data, warehouse, "--no-documents", through="2026-02-28")) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield {n: run(con, e.sql) for n, e in enumerate(EXAMPLES, 1)}, con


def test_the_document_has_ten_examples_each_with_its_output():
    assert len(EXAMPLES) == 10
    assert all(example.columns and example.columns != [""] for example in EXAMPLES)


@pytest.mark.parametrize("number", range(1, 11))
def test_each_query_gives_the_columns_shown_and_rows(demo_sized, number):
    results, _ = demo_sized
    columns, rows = results[number]
    assert columns == EXAMPLES[number - 1].columns
    if number != 7:  # Stripe collection: none without Stripe
        assert rows, f"query {number} gave no rows"


def test_mrr_by_month_ends_at_the_last_days_mrr(demo_sized):
    results, con = demo_sized
    columns, rows = results[1]
    assert [r[0] for r in rows if r[1] == "EUR"] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    last = {r[1]: r[2] for r in rows if r[0] == "2026-02"}
    assert last == dict(
        con.execute(
            "select currency, mrr from marts.finance_daily where day = '2026-02-28'"
        ).fetchall()
    )
    assert all(v > 0 for v in last.values())


def by_month(con, table: str, amount: str) -> dict:
    """{(currency, YYYY-MM): sum of `amount`} of a contract mart's documents by issue month."""
    rows = con.execute(
        f"select currency, strftime(issue_date, '%Y-%m'), sum({amount}) from marts.{table} "
        "where issue_date is not null group by all"
    ).fetchall()
    return defaultdict(Decimal, {(currency, month): total for currency, month, total in rows})


def test_billed_by_month_is_the_invoices_and_credit_notes_issued(demo_sized):
    results, con = demo_sized
    _, rows = results[2]
    invoices, notes = by_month(con, "invoices", "total"), by_month(con, "credit_notes", "amount")
    assert {(r[1], r[0]): r[2] for r in rows} == invoices
    assert all(r[3] == notes[r[1], r[0]] for r in rows)
    assert sum(r[3] for r in rows) == sum(notes.values()) > 0
    # The transfers for what the first call issued (Nov 1 to Jan 15) were loaded by the
    # second call: they were received in Nov to Jan but are collected on Jan 16, the first
    # run day that knew them (docs/finance.md).
    collected = {(r[1], r[0]): r[4] for r in rows}
    assert all(collected[c, m] == 0 for c, m in collected if m < "2026-01")
    (manual,) = con.execute(
        "select sum(amount) from marts.payments where source = 'manual' and status = 'succeeded'"
    ).fetchone()
    assert sum(collected.values()) == manual > 0


def test_ageing_and_standing_as_of_a_day_agree(demo_sized):
    results, _ = demo_sized
    _, ageing = results[3]
    _, statuses = results[4]
    _, owing = results[5]
    for currency, *_, total in ageing:
        owed = sum(r[3] for r in statuses if r[0] == currency)
        invoices = sum(r[2] for r in statuses if r[0] == currency and r[1] in ("open", "late"))
        assert total == owed and total > 0
        assert {r[0]: r[1] for r in ageing}[currency] <= invoices
    top = [r[4] for r in owing]
    assert top == sorted(top, reverse=True) and len(top) == 5


def test_a_providers_month_is_its_lines_and_its_spec(demo_sized):
    results, con = demo_sized
    _, rows = results[6]
    assert len(rows) == 1
    provider, _, currency, retail, *_, lines, spec = rows[0]
    (expected,) = con.execute(
        "select sum(l.amount) from marts.invoice_lines l join marts.invoices i "
        "using (invoice_number) where l.provider_id = ? "
        "and i.issue_date between '2026-01-01' and '2026-01-31'",
        [provider],
    ).fetchone()
    assert retail == expected and retail > 0
    assert (lines, spec) == con.execute(
        "select line_count, total from marts.wholesale_specs "
        "where provider_id = ? and spec_month = '2026-01'",
        [provider],
    ).fetchone()


def test_payments_and_product_lines_total_the_contract_marts(demo_sized):
    results, con = demo_sized
    _, paid = results[8]
    assert (
        sum(r[4] for r in paid) == con.execute("select count(*) from marts.payments").fetchone()[0]
    )
    assert "manual" in {r[1] for r in paid} and "stripe" not in {r[1] for r in paid}
    _, lines = results[10]
    (net,) = con.execute(
        "select sum(l.amount) from marts.invoice_lines l join marts.invoices i "
        "using (invoice_number) where i.issue_date between '2026-01-01' and '2026-01-31'"
    ).fetchone()
    assert sum(r[6] for r in lines) == net


def test_leakage_is_valued_where_an_order_priced_it(demo_sized):
    results, con = demo_sized
    _, rows = results[9]
    (days,) = con.execute("select sum(days) from marts.revenue_assurance").fetchone()
    assert sum(r[3] for r in rows) == days
    assert all((r[2] is None) == (r[4] is None) for r in rows)
