"""Collection under replays, refusals and odd answers (issue 11, items 4, 6 and 8), against
localstripe, counting Stripe's own records.

Every customer has Monthly 60.00 + start fee 99.00 from Jan 10: 141.58 on Jan 10
(tests/support/collection_network.py)."""

from __future__ import annotations

from datetime import date

import pytest

from fiberbill import run as runner
from fiberbill.collection import collector as collection
from fiberbill.collection.collector import Attempt, StripeMismatch
from fiberbill.collection.gateway import StripeFailure, StripeGateway
from sandbox.localstripe import API_KEY, CARD_OK
from tests.support.collection_network import CASES, write_network
from tests.support.crash import CrashForTest, crash_after
from tests.support.inputs import write_table
from tests.support.marts import Marts


def succeeded(localstripe) -> list[tuple[str, int]]:
    """(Stripe customer's fiberbill id, amount) of every succeeded PaymentIntent."""
    names = {c.id: c.metadata["fiberbill_customer_id"] for c in localstripe.all("customers")}
    return sorted(
        (names[pi.customer], pi.amount)
        for pi in localstripe.all("payment_intents")
        if pi.status == "succeeded"
    )


def test_a_replay_that_renumbers_a_day_books_each_charge_on_its_own_invoice(
    localstripe, tmp_path, monkeypatch
):
    """SA is charged 141.58 for INV-2026-000001 on Jan 10, then the call dies before the
    warehouse is replaced. New input adds S0 (sorted before SA) active the same day, so the
    replay numbers S0's invoice 000001 and SA's 000002. SA's charge stays with SA's
    invoice (attempts belong to customer, currency and day, not to a number): SA is not
    charged again and S0's invoice is not paid by SA's money."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"

    monkeypatch.setattr(collection, "persisted", crash_after("confirmed"))
    with pytest.raises(CrashForTest):
        runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    monkeypatch.setattr(collection, "persisted", lambda phase: None)
    assert succeeded(localstripe) == [("SA", 14158)]

    write_table(
        folder,
        "customers",
        [{"customer_id": "S0", "name": "Zero", "collection_method": "auto"}],
        "customers.late.csv",
    )
    write_table(
        folder,
        "payment_methods",
        [
            {
                "payment_method_id": "PM-S0",
                "customer_id": "S0",
                "type": "card",
                "status": "active",
                "is_default": "true",
                "stripe_payment_method_id": localstripe.card(CARD_OK),
            }
        ],
        "payment_methods.late.csv",
    )
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": "OS0",
                "customer_id": "S0",
                "product_id": "PR1",
                "connection_id": "KS0",
                "ordered_at": "2026-01-05",
            }
        ],
        "orders.late.csv",
    )
    write_table(
        folder,
        "activation_events",
        [{"event_id": "ES0", "order_id": "OS0", "event": "activated", "occurred_at": "2026-01-10"}],
        "activation_events.late.csv",
    )
    runner.run(folder, date(2026, 1, 12), warehouse=warehouse)

    assert succeeded(localstripe) == [("S0", 14158), ("SA", 14158)]
    marts = Marts(warehouse)
    assert marts.rows(
        "select i.invoice_number, i.customer_id, i.status, p.customer_id, p.amount "
        "from marts.invoices i join marts.payments p using (invoice_number) "
        "order by i.invoice_number"
    ) == [
        ("INV-2026-000001", "S0", "paid", "S0", "141.58"),
        ("INV-2026-000002", "SA", "paid", "SA", "141.58"),
    ]


def test_a_payment_intent_that_does_not_match_its_attempt_is_a_loud_failure():
    attempt = Attempt(
        "SA|EUR|2026-01-10#1", "INV-2026-000001", 1, "EUR", 14158, "card", "pm_1", "cus_A"
    )
    good = {
        "id": "pi_1",
        "customer": "cus_A",
        "currency": "eur",
        "amount": 14158,
        "metadata": {"attempt_key": "SA|EUR|2026-01-10#1"},
    }
    attempt.check(good)
    for change in (
        {"amount": 20000},
        {"customer": "cus_B"},
        {"currency": "usd"},
        {"metadata": {"attempt_key": "S0|EUR|2026-01-10#1"}},
    ):
        with pytest.raises(StripeMismatch, match="pi_1 does not match attempt.*nothing was"):
            attempt.check(good | change)


def test_a_4xx_on_one_invoice_fails_that_attempt_and_the_run_goes_on(localstripe, tmp_path):
    """Stripe refuses SA's PaymentIntent create with a 400; SG is charged as usual; SA's
    attempt is failed with Stripe's reason and retried 3 days later (Jan 13), paid then."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"], "SC": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"
    localstripe.post(
        "/_config/test/faults", {"count": 1, "status": 400, "path": "/v1/payment_intents"}
    )
    result = runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    assert result.issued["stripe_failed"] == 1
    assert succeeded(localstripe) == [("SC", 14158)]
    marts = Marts(warehouse)
    assert marts.rows("select customer_id, status from marts.invoices order by customer_id") == [
        ("SA", "open"),
        ("SC", "paid"),
    ]
    reasons = marts.rows("select failure_reason from marts.payments where status = 'failed'")
    assert len(reasons) == 1 and "injected 400" in reasons[0][0]
    runner.run(folder, date(2026, 1, 13), warehouse=warehouse)
    assert succeeded(localstripe) == [("SA", 14158), ("SC", 14158)]
    assert marts.rows("select status from marts.invoices where customer_id = 'SA'") == [("paid",)]


class NeverConfirms(StripeGateway):
    """Stripe leaving a PaymentIntent in requires_confirmation after confirm."""

    def confirm_intent(self, intent_id: str, key: str):
        return self.retrieve_intent(intent_id)


def test_an_attempt_stuck_waiting_for_action_is_failed_a_run_day_later(
    localstripe, tmp_path, localstripe_server
):
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"
    gateway = NeverConfirms(API_KEY, localstripe_server)
    runner.run(folder, date(2026, 1, 10), warehouse=warehouse, gateway=gateway)
    marts = Marts(warehouse)
    assert marts.rows("select status from ledger.payment_attempts") == [("pending",)]
    runner.run(folder, date(2026, 1, 11), warehouse=warehouse, gateway=gateway)
    assert marts.rows(
        "select status, failure_reason from ledger.payment_attempts order by event_id"
    ) == [
        ("pending", None),
        ("failed", "requires_confirmation: no outcome after one run day; the payment was canceled"),
    ]
    assert [pi.status for pi in localstripe.all("payment_intents")] == ["canceled"]
    assert marts.rows("select status, amount from marts.payments where source = 'stripe'") == [
        ("failed", "141.58")
    ]


def test_a_refund_stripe_refuses_is_not_refunded_and_stays_credit_balance(localstripe, tmp_path):
    """SG paid 141.58 on Jan 10 and was terminated Jan 20: 23.23 is owed back. Stripe
    refuses the refund (400): marts.payments shows refund_failed, not refunded, and the
    23.23 is the customer's credit balance."""
    folder = write_network(tmp_path / "data", localstripe, {"SG": CASES["SG"]})
    warehouse = tmp_path / "wh.duckdb"
    runner.run(folder, date(2026, 1, 19), warehouse=warehouse)
    localstripe.post("/_config/test/faults", {"count": 1, "status": 400, "path": "/v1/refunds"})
    runner.run(folder, date(2026, 1, 20), warehouse=warehouse)
    assert localstripe.all("refunds") == []
    marts = Marts(warehouse)
    assert marts.rows("select amount, status from marts.payments where method = 'refund'") == [
        ("-23.23", "refund_failed")
    ]
    assert marts.rows("select credit_balance, payment_status from marts.customers") == [
        ("23.23", "current")
    ]


def test_a_key_of_the_other_stripe_mode_stops_the_run_with_one_line(
    localstripe, tmp_path, monkeypatch
):
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"
    runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_other_account_0123456789")
    with pytest.raises(
        StripeFailure, match="written in Stripe test mode and STRIPE_API_KEY is a live key"
    ):
        runner.run(folder, date(2026, 1, 11), warehouse=warehouse)


def test_strict_is_decided_before_any_money_moves(localstripe, tmp_path):
    """A payment names an invoice that does not exist on its day: under --strict the call
    fails with exit 2 before a single Stripe call, so SA's card is never charged."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    write_table(
        folder,
        "payments",
        [
            {
                "payment_id": "PAY1",
                "invoice_number": "INV-2026-999999",
                "amount": "10.00",
                "currency": "EUR",
                "received_at": "2026-01-11",
                "method": "bank_transfer",
            }
        ],
    )
    warehouse = tmp_path / "wh.duckdb"
    localstripe.delete("/_config/test/stats")
    with pytest.raises(runner.StrictModeError, match="--strict: marts.rejected_rows has 1"):
        runner.run(folder, date(2026, 1, 12), warehouse=warehouse, strict=True)
    assert localstripe.stats()["requests"] == 0
    assert localstripe.all("payment_intents") == []
    assert not warehouse.exists()


def test_a_zero_decimal_currency_is_charged_in_whole_units(localstripe, tmp_path):
    """A JPY product at 6200 a month, active from Jan 1: the Jan 1 invoice is 6200 JPY and
    Stripe is asked for amount 6200 (whole yen), not 620000."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    write_table(
        folder, "providers", [{"provider_id": "P1", "name": "Fiber One", "currency": "JPY"}]
    )
    write_table(
        folder,
        "products",
        [
            {
                "product_id": "PR1",
                "provider_id": "P1",
                "name": "Fast",
                "billing_cycle": "monthly",
                "monthly_price": "6200",
            }
        ],
    )
    write_table(
        folder,
        "activation_events",
        [{"event_id": "ESA", "order_id": "OSA", "event": "activated", "occurred_at": "2026-01-01"}],
    )
    warehouse = tmp_path / "wh.duckdb"
    runner.run(folder, date(2026, 1, 2), warehouse=warehouse)
    assert [(pi.amount, pi.currency, pi.status) for pi in localstripe.all("payment_intents")] == [
        (6200, "jpy", "succeeded")
    ]
    assert Marts(warehouse).rows("select total, amount_paid, status from marts.invoices") == [
        ("6200.00", "6200.00", "paid")
    ]
