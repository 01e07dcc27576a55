"""Pay now is exactly once whatever is killed where: a portal process that dies before
Stripe is asked, after the PaymentIntent is created, or after it is confirmed but before
the outcome is recorded, leaves an attempt the next run finishes. The invoice is paid
once, with one charge, and booked once."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from fiberbill.collection.gateway import StripeGateway
from fiberbill.portal.payments import PortalPayments, pay_states
from fiberbill.portal.snapshot import Snapshot, snapshot_path
from fiberbill.portal.store import Store, store_path
from fiberbill.portal.views import load_view
from sandbox.localstripe import API_KEY, LocalStripe
from sandbox.localstripe import serve as localstripe_serve
from tests.support.portal_network import TODAY, bill, write_stripe_network


class Killed(BaseException):
    """The portal process dying: nothing after this point happens."""


class Dying:
    """A gateway that dies before or after one request."""

    def __init__(self, real: StripeGateway, request: str, after: bool):
        self.real, self.request, self.after = real, request, after

    def __getattr__(self, name):
        method = getattr(self.real, name)
        if name != self.request:
            return method

        def dying(*args, **kwargs):
            if not self.after:
                raise Killed(name)
            method(*args, **kwargs)
            raise Killed(name)

        return dying


@pytest.fixture(scope="module")
def stripe_base():
    with localstripe_serve() as base:
        yield base


@pytest.mark.parametrize(
    ("request_", "after"),
    [("create_intent", False), ("create_intent", True), ("confirm_intent", True)],
    ids=["before the PaymentIntent", "after creating it", "after confirming it"],
)
def test_a_pay_now_killed_anywhere_is_finished_once_by_the_next_run(
    tmp_path, stripe_base, monkeypatch, request_, after
):
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_base)
    stripe = LocalStripe(stripe_base)
    stripe.delete("/_config/data")
    folder = write_stripe_network(tmp_path / "data")
    warehouse = tmp_path / "w.duckdb"
    bill(folder, warehouse, TODAY - timedelta(days=1))
    gateway = StripeGateway(api_key=API_KEY, api_base=stripe_base, max_retries=0)
    store = Store(store_path(warehouse))
    snapshot = Snapshot(snapshot_path(warehouse))
    view = load_view(snapshot.cursor(), store, "C1", snapshot.meta)
    payments = PortalPayments(store, gateway, warehouse, view.meta["install_id"])
    customer = payments.stripe_customer("C1", "Ann Andersen", None)
    card = payments.add_test_method(customer, "C1", "card", {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"})  # fmt: skip
    store.record_method_change("C1", f"PORTAL-{card['id']}", "added", "127.0.0.1",
                               method_type="card", stripe_payment_method_id=card["id"],
                               last4=card["last4"])  # fmt: skip
    late = next(i for i in view.invoices if i["status"] == "late")
    assert view.payable(late, store) == (True, "")
    dying = PortalPayments(store, Dying(gateway, request_, after), warehouse,
                           view.meta["install_id"])  # fmt: skip
    with pytest.raises(Killed):
        dying.pay(late, customer, "card", card["id"], "127.0.0.1")
    key = f"C1|EUR|{late['created_date']:%Y-%m-%d}"
    assert pay_states(store, key) & {"planned", "pending"}  # unfinished
    # the portal offers no second payment while one is unfinished
    fresh = load_view(snapshot.cursor(), store, "C1", snapshot.meta)
    assert fresh.payable(late, store)[0] is False
    bill(folder, warehouse, TODAY)
    number = late["invoice_number"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select status, amount_due from marts.invoices where invoice_number = ?", [number]
        ).fetchall()[0] == ("paid", 0)
        booked = con.execute(
            "select count(*) from marts.payments where invoice_number = ? and status = 'succeeded'",
            [number],
        ).fetchall()[0][0]
    assert booked == 1
    charged = [
        i for i in stripe.all("payment_intents")
        if i.to_dict()["metadata"].get("invoice_number") == number and i.status == "succeeded"
    ]  # fmt: skip
    assert len(charged) == 1
    assert charged[0].amount == int(late["amount_due"] * 100)
    # and the next run changes nothing
    bill(folder, warehouse, TODAY)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from marts.payments where invoice_number = ?", [number]
            ).fetchall()[0][0]
            == 1
        )
