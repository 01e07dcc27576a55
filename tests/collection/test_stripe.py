"""Collection through Stripe, against localstripe (tests/collection/conftest.py).

The network is tests/support/collection_network.py: one auto customer per case, each billed
141.58 on Jan 10 2026 (due Jan 24, late Feb 1) and 60.00 on Feb 1. SEPA and ACH debits
settle about 0.5 s after they are confirmed, so the runs are split into calls with a pause
between them: a debit confirmed in one call is seen settled on the first day of the next.
"""

from __future__ import annotations

import time

import pytest

from fiberbill.cli import main
from tests.support.collection_network import CASES, write_network
from tests.support.inputs import run_args
from tests.support.marts import Marts

SETTLE = 1.0  # seconds: longer than localstripe's 0.5 s for SEPA and ACH


def run(folder, warehouse, through: str) -> None:
    assert main(run_args(folder, warehouse, through=through, payments="stripe")) == 0


def attempts(marts: Marts, customer: str) -> list[tuple]:
    return marts.rows(
        "select a.attempt_no, a.method, a.status, a.failure_reason, a.run_date "
        "from ledger.payment_attempts a join ledger.invoice_documents d using (invoice_id) "
        "where d.customer_id = ? order by a.event_id",
        [customer],
    )


def stripe_records(localstripe) -> dict[str, tuple]:
    """Stripe's own view: PaymentIntent id -> (invoice number, amount, status)."""
    return {
        pi.id: (pi.metadata["invoice_number"], f"{pi.amount / 100:.2f}", pi.status)
        for pi in localstripe.all("payment_intents")
    }


def mart_records(marts: Marts) -> dict[str, tuple]:
    rows = marts.rows(
        "select payment_id, invoice_number, amount, status from marts.payments "
        "where source = 'stripe' and status <> 'refunded'"
    )
    status = {"failed": "requires_payment_method"}
    return {pid: (number, amount, status.get(s, s)) for pid, number, amount, s in rows}


@pytest.fixture(scope="module")
def flow(localstripe_server, tmp_path_factory):
    """Calls through Jan 10, Jan 20, Feb 1 and Feb 2, with a pause between them. Returns
    the marts and Stripe's records after each call."""
    import os

    from sandbox.localstripe import API_KEY, LocalStripe

    server = LocalStripe(localstripe_server)
    server.delete("/_config/data")
    os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"] = API_KEY, localstripe_server
    base = tmp_path_factory.mktemp("flow")
    cases = {k: v for k, v in CASES.items() if k != "SD"}  # SD: its own test below
    folder = write_network(base / "data", server, cases)
    warehouse = base / "wh.duckdb"
    marts = Marts(warehouse)
    seen = {}
    try:
        for through in ("2026-01-10", "2026-01-20", "2026-02-01", "2026-02-02"):
            run(folder, warehouse, through)
            seen[through] = {
                "invoices": marts.rows(
                    "select customer_id, invoice_number, status, amount_paid, amount_due "
                    "from marts.invoices order by invoice_number"
                ),
                "stripe": stripe_records(server),
                "marts": mart_records(marts),
            }
            time.sleep(SETTLE)
    finally:
        del os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"]
    return marts, server, seen


def status_of(seen: dict, through: str, customer: str) -> list[str]:
    return [s for c, _, s, _, _ in seen[through]["invoices"] if c == customer]


def test_a_card_that_works_pays_the_invoice_the_day_it_is_issued(flow):
    marts, _, seen = flow
    assert status_of(seen, "2026-01-10", "SA") == ["paid"]
    assert attempts(marts, "SA")[:2] == [
        ("1", "card", "pending", None, "2026-01-10"),
        ("1", "card", "succeeded", None, "2026-01-10"),
    ]
    assert marts.rows(
        "select amount, method, status, source, received_at from marts.payments "
        "where customer_id = 'SA' order by invoice_number"
    ) == [
        ("141.58", "card", "succeeded", "stripe", "2026-01-10 00:00:00+00:00"),
        ("60.00", "card", "succeeded", "stripe", "2026-02-01 00:00:00+00:00"),
    ]


def test_a_declined_card_is_retried_3_5_and_7_days_later_then_the_invoice_turns_late(flow):
    marts, _, seen = flow
    failed = [r for r in attempts(marts, "SB") if r[2] == "failed" and r[4] < "2026-02-01"]
    assert failed == [
        (n, "card", "failed", "card_declined: Your card was declined.", day)
        for n, day in (
            ("1", "2026-01-10"),
            ("2", "2026-01-13"),
            ("3", "2026-01-15"),
            ("4", "2026-01-17"),
        )
    ]
    assert status_of(seen, "2026-01-20", "SB") == ["open"]
    assert status_of(seen, "2026-02-01", "SB")[0] == "late"
    # the late fee went on the Feb 1 invoice, which is charged (and declined) in turn
    assert marts.rows(
        "select invoice_number, amount, ref_invoice_number from marts.invoice_lines "
        "where customer_id = 'SB' and kind = 'late_fee'"
    ) == [("INV-2026-000009", "5.00", "INV-2026-000002")]
    assert [r[:3] for r in attempts(marts, "SB") if r[4] >= "2026-02-01"] == [
        ("1", "card", "pending"),
        ("1", "card", "failed"),
    ]


@pytest.mark.parametrize(("customer", "method"), [("SC", "sepa_debit"), ("SE", "us_bank_account")])
def test_debits_are_processing_until_they_settle_then_paid(flow, customer, method):
    marts, _, seen = flow
    assert status_of(seen, "2026-01-10", customer) == ["open"]
    number = {"SC": "INV-2026-000003", "SE": "INV-2026-000004"}[customer]
    assert [s for n, _, s in seen["2026-01-10"]["marts"].values() if n == number] == ["processing"]
    assert [r[:3] + (r[4],) for r in attempts(marts, customer)][:3] == [
        ("1", method, "pending", "2026-01-10"),
        ("1", method, "processing", "2026-01-10"),
        ("1", method, "succeeded", "2026-01-11"),
    ]
    assert status_of(seen, "2026-01-20", customer)[0] == "paid"
    assert status_of(seen, "2026-02-01", customer) == ["paid", "open"]
    assert status_of(seen, "2026-02-02", customer) == ["paid", "paid"]


def test_an_attach_decline_leaves_the_invoice_open_with_no_usable_method(flow):
    marts, _, seen = flow
    assert attempts(marts, "SF") == []
    assert status_of(seen, "2026-02-01", "SF")[0] == "late"
    assert marts.rows(
        "select has_usable_payment_method, payment_status from marts.customers "
        "where customer_id in ('SF', 'SA') order by customer_id"
    ) == [("True", "current"), ("False", "late")]
    assert marts.rows("select reason from ledger.payment_method_declines") == [
        ("card_declined: Your card was declined.",)
    ]


def test_manual_customers_are_never_charged(flow):
    marts, _, seen = flow
    assert attempts(marts, "SH") == []
    assert status_of(seen, "2026-02-01", "SH")[0] == "late"


def test_a_credit_note_on_a_card_payment_is_refunded_through_it_once(flow):
    """SG paid 141.58 on Jan 10; terminated Jan 20, so 12/31 x 60 = 23.23 comes back."""
    marts, server, _ = flow
    assert marts.rows("select amount, reason from marts.credit_notes where customer_id = 'SG'") == [
        ("23.23", "termination_refund")
    ]
    (payment,) = marts.rows(
        "select payment_id from marts.payments where customer_id = 'SG' and status = 'succeeded'"
    )
    refunds = server.all("refunds")
    assert [(r.payment_intent, r.amount, r.metadata["credit_note_number"]) for r in refunds] == [
        (payment[0], 2323, "CN-2026-000001")
    ]
    assert marts.rows(
        "select amount_paid, amount_credited, amount_due, status from marts.invoices "
        "where customer_id = 'SG'"
    ) == [("118.35", "23.23", "0.00", "paid")]


def test_the_marts_match_stripes_own_records(flow):
    """After the last call nothing is in flight, so every PaymentIntent Stripe holds is in
    marts.payments with the same invoice, amount and outcome (earlier, a debit may settle
    at Stripe after the run that saw it processing)."""
    _, _, seen = flow
    final = seen["2026-02-02"]["stripe"]
    assert seen["2026-02-02"]["marts"] == final
    assert len(final) == 12  # SA 2, SB 5 (4 in January), SC 2, SE 2, SG 1
    paid = [number for number, _, status in final.values() if status == "succeeded"]
    assert len(paid) == len(set(paid)) == 7  # SA, SC, SE, SG in January; SA, SC, SE in Feb
