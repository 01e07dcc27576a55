"""Collected money survives a crash: the in-process crash hook, and the journal mirrored
into the ledger by event. The kill -9 at every phase of a charge or a refund, then a
rerun, is the crash matrix (tests/collection/test_crash_matrix.py)."""

from __future__ import annotations

from datetime import date

import pytest

from fiberbill import run as runner
from fiberbill.collection import collector as collection
from tests.support.collection_network import CASES, write_network
from tests.support.crash import CrashForTest, crash_after
from tests.support.marts import Marts


def test_money_collected_before_a_crash_reaches_the_ledger_even_without_collection(
    localstripe, tmp_path, monkeypatch
):
    """The Jan 10 charge of 141.58 succeeds on Stripe, then the call dies before the
    warehouse is replaced. The rerun, with --payments none, still copies the journal's
    success into the ledger (paid), and a later call with Stripe charges nothing more."""
    folder = write_network(tmp_path / "data", localstripe, {"SA": CASES["SA"]})
    warehouse = tmp_path / "wh.duckdb"

    monkeypatch.setattr(collection, "persisted", crash_after("outcome_recorded"))
    with pytest.raises(CrashForTest):
        runner.run(folder, date(2026, 1, 10), warehouse=warehouse)
    monkeypatch.setattr(collection, "persisted", lambda phase: None)
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
