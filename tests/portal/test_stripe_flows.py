"""The portal's Stripe flows end to end over HTTP, against localstripe: a card added
through a SetupIntent, made default, automatic collection switched on, billing charges the
open invoice; a late invoice paid now goes through the collection journal exactly once."""

from __future__ import annotations

import duckdb
import pytest

from sandbox.localstripe import LocalStripe
from sandbox.localstripe import serve as localstripe_serve
from tests.support.portal import Client, visible
from tests.support.portal_network import TODAY, bill, stripe_portal


@pytest.fixture(scope="module")
def stripe_base():
    with localstripe_serve() as base:
        yield base


@pytest.fixture
def network(tmp_path, stripe_base, monkeypatch):
    with stripe_portal(tmp_path, stripe_base, monkeypatch) as (folder, warehouse, base):
        yield folder, warehouse, base, LocalStripe(stripe_base)


def _invoices(warehouse, customer):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select invoice_number, status, cast(amount_due as varchar) from marts.invoices "
            "where customer_id = ? order by invoice_number",
            [customer],
        ).fetchall()


def _add_card(client: Client, number: str = "4242424242424242"):
    return client.post("/payment-methods/test", {
        "csrf_token": client.csrf("/payment-methods"), "type": "card", "card_number": number,
        "exp_month": "12", "exp_year": "2034", "cvc": "123"})  # fmt: skip


def test_a_card_made_default_with_auto_collection_pays_the_open_invoice(network):
    folder, warehouse, base, stripe = network
    bob = Client(base)
    bob.login("C2")
    ((number, status, due),) = _invoices(warehouse, "C2")
    assert status == "open"
    assert "Will be charged automatically" not in bob.text("/invoices")
    # automatic payment needs a usable default method: the card on file has no Stripe id
    refused = bob.post("/preferences", {"csrf_token": bob.csrf("/preferences"),
                                        "collection_method": "auto"})  # fmt: skip
    assert "Add a payment method (and make it your default)" in visible(refused.text)
    added = _add_card(bob)
    assert "Payment method added." in visible(added.text)
    page = bob.get("/payment-methods").text
    assert "Card ending in 4242" in visible(page)
    assert "Card ending in 1111 (default)" in visible(page)
    new = [pm for pm in __import__("re").findall(r'/payment-methods/([^/"]+)/default', page)]
    assert len(new) == 1 and new[0].startswith("PORTAL-pm_")
    bob.post(f"/payment-methods/{new[0]}/default", {"csrf_token": bob.csrf("/payment-methods")})
    assert "Card ending in 4242 (default)" in bob.text("/payment-methods")
    saved = bob.post("/preferences", {"csrf_token": bob.csrf("/preferences"),
                                      "collection_method": "auto",
                                      "invoice_email": "bob@example.org"})  # fmt: skip
    assert "Preferences saved" in visible(saved.text)
    # until billing runs, the invoice waits for the automatic charge
    assert "Will be charged automatically." in bob.text("/invoices")
    bill(folder, warehouse, TODAY)
    invoices = _invoices(warehouse, "C2")  # today's too, on the 1st of a month
    assert invoices[0] == (number, "paid", "0.00")
    assert {status for _, status, _ in invoices} == {"paid"}
    charged = {i.metadata["invoice_number"]: (i.amount, i.status)
               for i in stripe.all("payment_intents")}  # fmt: skip
    assert charged[number] == (int(due.replace(".", "")), "succeeded")
    assert len(charged) == len(invoices) == len(stripe.all("payment_intents"))
    # the portal shows the new state on the next request
    assert "Paid" in bob.text("/invoices")
    assert "Automatic payment. Default payment method: Card ending in 4242." in bob.text("/")


def test_a_late_invoice_paid_now_is_booked_once_by_the_next_run(network):
    folder, warehouse, base, stripe = network
    ann = Client(base)
    ann.login("C1")
    late = [(n, due) for n, s, due in _invoices(warehouse, "C1") if s == "late"]
    assert late
    number, due = late[0]
    assert "Add a payment method to pay" in ann.text("/invoices")
    _add_card(ann)
    page = ann.get("/invoices").text
    assert f"Pay {due.replace('.', ',')}" in visible(page)  # Norway writes 141,58 kr-style
    method = __import__("re").search(r'<option value="([^"]+)" selected', page).group(1)
    paid = ann.post(f"/invoices/{number}/pay", {"csrf_token": ann.csrf("/invoices"),
                                                "method": method})  # fmt: skip
    assert "your payment was received" in visible(paid.text)
    assert "Payment received; it shows here after the next billing run." in visible(paid.text)
    # a second click cannot pay again
    again = ann.post(f"/invoices/{number}/pay", {"csrf_token": ann.csrf("/invoices"),
                                                 "method": method})  # fmt: skip
    assert "cannot be paid here right now" in visible(again.text)
    bill(folder, warehouse, TODAY)
    assert (number, "paid", "0.00") in _invoices(warehouse, "C1")
    intents = [i for i in stripe.all("payment_intents") if i.metadata["invoice_number"] == number]
    assert [(i.status, i.amount) for i in intents] == [("succeeded", int(due.replace(".", "")))]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute(
                "select count(*), sum(amount) from marts.payments where invoice_number = ? "
                "and status = 'succeeded'",
                [number],
            ).fetchall()[0][0]
            == 1
        )
    # another run books nothing again
    bill(folder, warehouse, TODAY)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from marts.payments where invoice_number = ?", [number]
            ).fetchall()[0][0]
            == 1
        )


def test_a_sepa_account_needs_its_mandate_accepted(network):
    _, _, base, _ = network
    ann = Client(base)
    ann.login("C1")
    page = ann.text("/payment-methods")
    assert "you authorise (A) Fiber network operator and Stripe" in page
    assert "I accept this SEPA Direct Debit mandate" in page
    form = {"csrf_token": ann.csrf("/payment-methods"), "type": "sepa_debit",
            "iban": "DE89370400440532013000"}  # fmt: skip
    refused = ann.post("/payment-methods/test", form)
    assert "Please accept the mandate" in visible(refused.text)
    added = ann.post("/payment-methods/test", {**form, "mandate": "accepted"})
    assert "Payment method added." in visible(added.text)
    assert "SEPA Direct Debit ending in 3000" in ann.text("/payment-methods")
