"""No double charge and no double refund: a crash injected after each persisted phase of a
payment attempt (or a refund), then a rerun, leaves exactly one successful charge (or one
refund) on the Stripe side, and the marts agree with it."""

from __future__ import annotations

from datetime import date

import pytest

from dagster_project import collection, runner
from tests.billing.conftest import Marts
from tests.collection.network import CASES, write_network


def run_with_crash(monkeypatch, folder, warehouse, through: date, crash_at: str | None):
    crashed = []

    def step(name: str) -> None:
        if name == crash_at and not crashed:
            crashed.append(name)
            raise collection.CrashForTest(f"injected crash after {name}")

    monkeypatch.setattr(collection, "step", step)
    if crash_at:
        with pytest.raises(collection.CrashForTest):
            runner.run(folder, through, warehouse=warehouse)
        assert crashed == [crash_at]
    monkeypatch.setattr(collection, "step", lambda name: None)
    runner.run(folder, through, warehouse=warehouse)


@pytest.mark.parametrize(
    "crash_at",
    [
        "planned",
        "created",
        "id_recorded",
        "confirmed",
        "outcome_recorded",
    ],
)
def test_a_crash_at_any_phase_of_a_charge_then_a_rerun_charges_once(
    localstripe, tmp_path, monkeypatch, crash_at
):
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"
    run_with_crash(monkeypatch, folder, warehouse, date(2026, 1, 10), crash_at)

    intents = localstripe.all("payment_intents")
    succeeded = [pi for pi in intents if pi.status == "succeeded"]
    assert [(pi.metadata["invoice_number"], pi.amount) for pi in succeeded] == [
        ("INV-2026-000001", 14158)
    ]
    charges = [c for c in localstripe.all("charges") if c.status == "succeeded"]
    assert [c.payment_intent for c in charges] == [succeeded[0].id]
    # a PaymentIntent created but never recorded (crash right after create) stays
    # unconfirmed: real Stripe would return the same one for the same idempotency key,
    # localstripe makes a second one, which never charges
    assert len(intents) == (2 if crash_at == "created" else 1)
    marts = Marts(warehouse)
    assert marts.rows(
        "select payment_id, amount, status from marts.payments where source = 'stripe'"
    ) == [(succeeded[0].id, "141.58", "succeeded")]
    assert marts.rows("select status, amount_due from marts.invoices") == [("paid", "0.00")]
    # and the customer was created in Stripe once (twice only if the crash lost its id)
    customers = localstripe.all("customers")
    assert len(customers) == 1


@pytest.mark.parametrize("crash_at", ["refund_planned", "refund_created"])
def test_a_crash_while_refunding_then_a_rerun_refunds_once(
    localstripe, tmp_path, monkeypatch, crash_at
):
    """SG paid 141.58 on Jan 10 and was terminated Jan 20: 23.23 goes back once."""
    folder = write_network(tmp_path / "data", localstripe, {"SG": CASES["SG"]})
    warehouse = tmp_path / "wh.duckdb"
    runner.run(folder, date(2026, 1, 19), warehouse=warehouse)
    run_with_crash(monkeypatch, folder, warehouse, date(2026, 1, 20), crash_at)
    refunds = localstripe.all("refunds")
    assert [(r.amount, r.metadata["credit_note_number"]) for r in refunds] == [
        (2323, "CN-2026-000001")
    ]
    assert Marts(warehouse).rows(
        "select amount, status from marts.payments where status = 'refunded'"
    ) == [("-23.23", "refunded")]


def test_money_collected_before_a_crash_reaches_the_ledger_even_without_collection(
    localstripe, tmp_path, monkeypatch
):
    """The Jan 10 charge of 141.58 succeeds on Stripe, then the call dies before the
    warehouse is replaced. The rerun, with --payments none, still copies the journal's
    success into the ledger (paid), and a later call with Stripe charges nothing more."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"

    def crash(name: str) -> None:
        if name == "outcome_recorded":
            raise collection.CrashForTest("injected crash after outcome_recorded")

    monkeypatch.setattr(collection, "step", crash)
    with pytest.raises(collection.CrashForTest):
        runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    monkeypatch.setattr(collection, "step", lambda name: None)
    result = runner.run(folder, date(2026, 1, 12), warehouse=warehouse, payments="none")
    assert result.issued["collection"] == "none"
    marts = Marts(warehouse)
    intent = [pi for pi in localstripe.all("payment_intents") if pi.status == "succeeded"]
    assert marts.rows(
        "select payment_id, amount, source, received_at::date from marts.payments"
    ) == [(intent[0].id, "141.58", "stripe", "2026-01-10")]
    assert marts.rows("select status, amount_due from marts.invoices") == [("paid", "0.00")]
    runner.run(folder, date(2026, 1, 20), warehouse=warehouse)
    assert len([c for c in localstripe.all("charges") if c.status == "succeeded"]) == 1
    assert marts.rows("select count(*) from marts.payments") == [("1",)]


def test_stripe_collection_without_a_key_is_a_usage_error(tmp_path, monkeypatch, make_inputs):
    """--payments stripe (the default) without STRIPE_API_KEY: exit 2 before anything is
    written, one line naming the key and --payments none."""
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    warehouse = tmp_path / "wh.duckdb"
    with pytest.raises(runner.CollectionKeyMissing, match="STRIPE_API_KEY.*--payments none"):
        runner.run(make_inputs(), date(2026, 1, 31), warehouse=warehouse)
    assert not warehouse.exists()
