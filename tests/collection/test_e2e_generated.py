"""End to end: a generated network (tests use 80 subscribers, Jan-Mar 2026) billed with
`--payments stripe` over three months against localstripe, in calls with a pause between
them as a daily operation would have.

The generator's payment methods get real localstripe ids: cards that work and cards
declined at charge, SEPA and ACH debits. The run must show every collection case (paid,
declined -> retried -> late, SEPA processing -> paid, refunds), and the marts must match
Stripe's own records.
"""

from __future__ import annotations

import csv
import time
from datetime import date

import duckdb
import pytest

from fiberbill.cli import main
from fiberbill.samples.generator import NetworkSpec, generate
from sandbox.localstripe import CARD_DECLINED_AT_CHARGE, CARD_OK, give_methods_stripe_ids
from tests.support.inputs import run_args
from tests.support.marts import Marts

CALLS = ("2026-01-15", "2026-01-31", "2026-02-15", "2026-02-28", "2026-03-15", "2026-03-31")


def read(folder, table: str) -> list[dict]:
    rows = []
    for path in sorted(folder.glob(f"{table}*.csv")):  # NAME.csv or NAME.<anything>.csv
        with path.open(newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def add_terminations(folder, methods: list[dict]) -> None:
    """Three card-paying auto customers on monthly products, active since January, end on
    Mar 20, known that day: March was paid by card on Mar 1, so the unused days are
    refunded. Delivered as an extra file of the order_events table."""
    card_ok = {
        m["customer_id"]
        for i, m in enumerate(methods)
        if m["type"] == "card" and m["status"] == "active" and i % 3 != 0
    }
    auto = {c["customer_id"] for c in read(folder, "customers") if c["collection_method"] == "auto"}
    monthly = {p["product_id"] for p in read(folder, "products") if p["billing_cycle"] == "monthly"}
    early = {
        e["order_id"]
        for e in read(folder, "activation_events")
        if e["event"] == "activated" and e["occurred_at"][:10] < "2026-01-20"
    }
    ended = {e["order_id"] for e in read(folder, "order_events")}
    chosen = [
        o["order_id"]
        for o in read(folder, "orders")
        if o["customer_id"] in card_ok & auto
        and o["product_id"] in monthly
        and o["order_id"] in early - ended
    ][:3]
    assert chosen, "the generated network has no card-paying monthly auto customer"
    with (folder / "order_events.refunds.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order_id", "event", "effective_at", "recorded_at"])
        writer.writerows([o, "terminated", "2026-03-20", "2026-03-20"] for o in chosen)


@pytest.fixture(scope="module")
def billed(localstripe_server, tmp_path_factory):
    import os

    from sandbox.localstripe import API_KEY, LocalStripe

    server = LocalStripe(localstripe_server)
    server.delete("/_config/data")
    base = tmp_path_factory.mktemp("generated")
    folder = base / "data"
    generate(
        NetworkSpec(subscribers=80, providers=2, start=date(2026, 1, 1), months=3, seed=3), folder
    )
    with (folder / "settings.toml").open("a", encoding="utf-8") as fh:
        fh.write("stripe_requests_per_second = 200\n")
    methods = give_methods_stripe_ids(
        folder, server, card=lambda i: CARD_DECLINED_AT_CHARGE if i % 3 == 0 else CARD_OK
    )

    add_terminations(folder, methods)
    warehouse = base / "wh.duckdb"
    os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"] = API_KEY, localstripe_server
    try:
        for through in CALLS:
            args = run_args(folder, warehouse, through=through, exports=base / "exports")
            assert main(args + ["--payments", "stripe"]) == 0
            time.sleep(1.0)  # SEPA and ACH debits settle 0.5 s after confirmation
    finally:
        del os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"]
    return Marts(warehouse), server


def test_auto_customers_are_charged_and_paid(billed):
    marts, _ = billed
    (paid,) = marts.rows(
        "select count(*) from marts.invoices i join marts.payments p using (invoice_number) "
        "where p.source = 'stripe' and p.status = 'succeeded' and i.status = 'paid'"
    )
    assert int(paid[0]) >= 20


def test_declined_cards_are_retried_then_the_invoice_turns_late(billed):
    marts, _ = billed
    rows = marts.rows(
        """
        select d.invoice_number, count(distinct a.attempt_no), any_value(i.status)
        from ledger.payment_attempts a join ledger.invoice_documents d using (invoice_id)
        join marts.invoices i on i.invoice_number = d.invoice_number
        where a.status = 'failed' and a.method = 'card'
        group by 1
        """
    )
    retried_then_late = [r for r in rows if r[1] == "4" and r[2] == "late"]
    assert retried_then_late, rows


def test_debits_are_processing_then_paid(billed):
    marts, _ = billed
    for method in ("sepa_debit", "us_bank_account"):
        settled = marts.rows(
            """
            select attempt_key from ledger.payment_attempts where method = ?
            group by attempt_key
            having bool_or(status = 'processing') and bool_or(status = 'succeeded')
                and min(run_date) filter (where status = 'processing')
                    < max(run_date) filter (where status = 'succeeded')
            """,
            [method],
        )
        assert settled, method


def test_refunds_go_back_through_the_original_payment(billed):
    marts, server = billed
    refunds = {
        (r.payment_intent, r.amount, r.metadata["credit_note_number"])
        for r in server.all("refunds")
    }
    assert refunds
    in_marts = marts.rows(
        """
        select p.payment_id, -cast(r.amount * 100 as integer), c.credit_note_number
        from marts.payments r
        join marts.credit_notes c on r.payment_id = 'RF-' || lpad(
            cast((select credit_note_id from ledger.credit_notes x
                  where x.credit_note_number = c.credit_note_number) as varchar), 8, '0')
        join marts.payments p on p.invoice_number = r.invoice_number
            and p.source = 'stripe' and p.status = 'succeeded'
        where r.status = 'refunded'
        """
    )
    assert {(pi, int(a), cn) for pi, a, cn in in_marts} == refunds


def test_the_marts_match_stripes_own_records(billed):
    """Every PaymentIntent in Stripe is in marts.payments with its invoice and amount, and
    the same outcome (a debit the last call saw processing may have settled since)."""
    marts, server = billed
    stripe_side = {
        pi.id: (pi.metadata["invoice_number"], f"{pi.amount / 100:.2f}", pi.status)
        for pi in server.all("payment_intents")
    }
    mart_side = {
        pid: (number, amount, status)
        for pid, number, amount, status in marts.rows(
            "select payment_id, invoice_number, amount, status from marts.payments "
            "where source = 'stripe' and status <> 'refunded'"
        )
    }
    assert mart_side.keys() == stripe_side.keys()
    same = {"succeeded": {"succeeded"}, "failed": {"requires_payment_method"}}
    same["processing"] = {"processing", "succeeded", "requires_payment_method"}
    for pid, (number, amount, status) in mart_side.items():
        assert stripe_side[pid][:2] == (number, amount), pid
        assert stripe_side[pid][2] in same[status], (pid, status, stripe_side[pid])
    # never two successful charges for one invoice
    paid = [n for n, _, s in stripe_side.values() if s == "succeeded"]
    assert len(paid) == len(set(paid))


def test_the_analysts_collection_queries_show_every_method(billed):
    """docs/analysts.md's examples 7 and 8 on a network collected through Stripe (the
    analysts' test bills without Stripe): every payment method type has attempts, and what
    example 7 shows collected per method is the succeeded Stripe payments of the marts."""
    from sandbox.analysts import examples, run

    marts, _ = billed
    by_method, paid = examples()[6], examples()[7]
    with duckdb.connect(str(marts.warehouse), read_only=True) as con:
        columns, rows = run(con, by_method.sql)
        assert columns == by_method.columns
        collected = {
            (currency, method): amount
            for currency, method, amount in con.execute(
                "select currency, method, sum(amount) from marts.payments "
                "where source = 'stripe' and status = 'succeeded' group by all"
            ).fetchall()
        }
        paid_columns, routes = run(con, paid.sql)
    shown = {(row[0], row[1]): row for row in rows}
    assert {method for _, method in shown} == {"card", "sepa_debit", "us_bank_account"}
    assert {key: row[7] for key, row in shown.items()} == collected
    cards = [row for (_, method), row in shown.items() if method == "card"]
    assert all(row[5] > 0 and 0 < row[6] < 100 for row in cards)  # declines lower the rate
    assert paid_columns == paid.columns
    assert {(r[1], r[3]) for r in routes} >= {("stripe", "succeeded"), ("stripe", "failed")}
