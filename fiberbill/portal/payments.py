"""What the customer portal asks of Stripe: payment methods set up through SetupIntents,
and "pay now".

**Pay now goes through the same exactly-once protocol as collection**
(fiberbill/collection/collector.py): the attempt is recorded in the portal store before
Stripe is asked, the PaymentIntent is created unconfirmed with the idempotency key
`fiberbill-<install>-<attempt key>-create`, its id recorded, then confirmed, then the outcome
recorded. The attempt key names the invoice by what cannot move (customer, currency, the
day the invoice was created) plus `#portal-<n>`. The next `fiberbill run` with collection
copies these attempts and events into its journal (`journal.portal_offsets` remembers how
far), finishes any a crash left unresolved exactly as it finishes its own, and books the
payment in the ledger; a webhook reports it the same way as any other.

**Never two charges for one invoice.** The portal offers "pay now" only for an invoice that
no billing run will charge: a late one (collection never charges late invoices), or an open
one of a customer who pays manually (or has no usable method) in the published snapshot and
has not switched to automatic collection since. It refuses while an earlier portal attempt
for the invoice is in flight or succeeded. A run copies portal attempts under
`<warehouse>.portal-pay.lock`, which "pay now" holds for its whole attempt, so a run never
sees half an attempt it could repeat. No Dagster import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fiberbill.collection.collector import _plain, _status_of
from fiberbill.collection.gateway import StripeGateway, StripeRejected
from fiberbill.portal.store import Store, now_text, pay_lock
from ingest.currencies import NotWholeAmount, minor_units

# Where each method type keeps its last 4 digits on a Stripe PaymentMethod
LAST4 = {"card": "card", "sepa_debit": "sepa_debit", "us_bank_account": "us_bank_account"}
METHOD_TYPES = tuple(LAST4)


class PaymentRefused(Exception):
    """Stripe (or the rules above) said no; the message is safe to show the customer."""


@dataclass
class PortalPayments:
    store: Store
    gateway: StripeGateway
    warehouse: Path
    install_id: str | None

    def _key(self, what: str) -> str:
        return f"fiberbill-{self.install_id or 'portal'}-{what}"

    # -- the Stripe customer ----------------------------------------------------------------

    def stripe_customer(self, customer_id: str, name: str, known: str | None) -> str:
        """The customer's Stripe customer: the one collection made (`known`, from the
        snapshot), the one the portal made, or a new one (same idempotency key as
        collection's, so Stripe returns the same customer to both)."""
        found = known or self.store.stripe_customer(customer_id)
        if found:
            return found
        created = self.gateway.create_customer(
            customer_id, name, key=self._key(f"customer-{customer_id}")
        )
        self.store.link_stripe(customer_id, "customer_created", created["id"])
        return created["id"]

    # -- payment methods --------------------------------------------------------------------

    def start_setup(self, stripe_customer: str, customer_id: str, method_type: str) -> dict:
        """A SetupIntent for Stripe.js Elements to confirm in the browser."""
        intent = self.gateway.create_setup_intent(
            stripe_customer, method_type, {"fiberbill_customer_id": customer_id}
        )
        return _plain(intent)

    def add_test_method(
        self, stripe_customer: str, customer_id: str, method_type: str, details: dict
    ) -> dict:
        """Test mode only: make the PaymentMethod server-side from test details, then set
        it up through a SetupIntent like Elements would."""
        try:
            method = _plain(self.gateway.create_test_method(method_type, details))
            intent = self.start_setup(stripe_customer, customer_id, method_type)
            self.gateway.confirm_setup_intent(intent["id"], method["id"])
        except StripeRejected as exc:
            raise PaymentRefused(exc.reason) from None
        return self.finish_setup(stripe_customer, customer_id, intent["id"])

    def finish_setup(self, stripe_customer: str, customer_id: str, setup_intent_id: str) -> dict:
        """The method a succeeded SetupIntent of this customer set up: {id, type, last4}.
        A SetupIntent of another Stripe customer, or one that did not succeed, is refused."""
        try:
            intent = _plain(self.gateway.retrieve_setup_intent(setup_intent_id))
        except StripeRejected:
            raise PaymentRefused("the payment method could not be set up") from None
        if intent.get("customer") != stripe_customer:
            raise PaymentRefused("the payment method could not be set up")
        if intent.get("status") != "succeeded" or not intent.get("payment_method"):
            raise PaymentRefused(
                f"the payment method was not set up (Stripe says {intent.get('status')})"
            )
        method = _plain(self.gateway.retrieve_method(intent["payment_method"]))
        kind = method.get("type")
        if kind not in METHOD_TYPES:
            raise PaymentRefused(f"payment methods of type {kind} are not accepted")
        last4 = (method.get(LAST4[kind]) or {}).get("last4")
        self.store.link_stripe(customer_id, "method_attached", stripe_customer, method["id"])
        return {"id": method["id"], "type": kind, "last4": last4}

    # -- pay now ----------------------------------------------------------------------------

    def pay(
        self,
        invoice: dict,
        stripe_customer: str,
        method_type: str,
        stripe_method: str,
        client_ip: str | None,
    ) -> tuple[str, str | None]:
        """One "pay now" attempt for `invoice` (a snapshot row the caller found payable).
        Returns (status, reason): succeeded, processing, or failed with Stripe's reason."""
        created = invoice["created_date"]
        key_of_invoice = invoice_key(invoice["customer_id"], invoice["currency"], created)
        cents = int(round(invoice["amount_due"] * 100))
        try:
            amount = minor_units(cents, invoice["currency"])
        except NotWholeAmount:
            raise PaymentRefused("this invoice cannot be paid by card or debit") from None
        with pay_lock(self.warehouse):
            if self.in_flight(key_of_invoice):
                raise PaymentRefused("a payment for this invoice is already under way")
            with self.store.transaction() as con:
                (made,) = con.execute(
                    "select count(*) from pay_attempts where attempt_key like ?",
                    (key_of_invoice + "#portal-%",),
                ).fetchone()
                key = f"{key_of_invoice}#portal-{made + 1}"
                con.execute(
                    "insert into pay_attempts (attempt_key, invoice_number, customer_id, "
                    "currency, invoice_created_date, amount_cents, method, "
                    "stripe_payment_method_id, stripe_customer_id, recorded_at, client_ip) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        invoice["invoice_number"],
                        invoice["customer_id"],
                        invoice["currency"],
                        f"{created:%Y-%m-%d}",
                        cents,
                        method_type,
                        stripe_method,
                        stripe_customer,
                        now_text(),
                        client_ip,
                    ),
                )
            try:
                intent = _plain(
                    self.gateway.create_intent(
                        {
                            "amount": amount,
                            "currency": invoice["currency"].lower(),
                            "customer": stripe_customer,
                            "payment_method": stripe_method,
                            "payment_method_types": [method_type],
                            "metadata": {
                                "invoice_number": invoice["invoice_number"],
                                "attempt_key": key,
                                "attempt": key.rsplit("#", 1)[1],
                            },
                        },
                        key=self._key(f"{key}-create"),
                    )
                )
            except StripeRejected as exc:
                self._event(key, None, "failed", exc.reason)
                return "failed", exc.reason
            self._event(key, intent["id"], "pending", None)
            try:
                intent = _plain(
                    self.gateway.confirm_intent(intent["id"], key=self._key(f"{key}-confirm"))
                )
            except StripeRejected:
                intent = _plain(self.gateway.retrieve_intent(intent["id"]))
            status, reason = _status_of(intent)
            if status != "pending":
                self._event(key, intent["id"], status, reason)
            return status, reason

    def _event(self, key: str, intent_id: str | None, status: str, reason: str | None) -> None:
        with self.store.transaction() as con:
            con.execute(
                "insert into pay_events (attempt_key, payment_intent_id, status, "
                "failure_reason, recorded_at) values (?, ?, ?, ?, ?)",
                (key, intent_id, status, reason, now_text()),
            )

    def in_flight(self, invoice_key: str) -> bool:
        return bool(
            pay_states(self.store, invoice_key) & {"planned", "pending", "processing", "succeeded"}
        )


def pay_states(store: Store, invoice_key: str) -> set[str]:
    """The latest state of each portal attempt for the invoice `invoice_key`."""
    found = store.rows(
        "select coalesce((select e.status from pay_events e where e.attempt_key = a.attempt_key "
        "order by e.seq desc limit 1), 'planned') from pay_attempts a where a.attempt_key like ?",
        (invoice_key + "#portal-%",),
    )
    return {status for (status,) in found}


def invoice_key(customer_id: str, currency: str, created: date) -> str:
    return f"{customer_id}|{currency}|{created:%Y-%m-%d}"
