"""What one customer sees: read from the published snapshot, always by the session's
customer id, plus the customer's own changes recorded in the portal store since that
snapshot (so a change shows at once; billing takes it in on the next run).

Nothing here decides what is owed: amounts, statuses, the next invoice's estimate and the
payment method in force come from the snapshot, which the billing run derived. No Dagster
import.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb
from babel.dates import format_date

from fiberbill.documents.present import Formats
from fiberbill.portal.payments import invoice_key, pay_states
from fiberbill.portal.store import Store

# what the customer sees for each status (marts.invoices.status)
STATUS_TEXT = {
    "open": "Open",
    "late": "Late",
    "paid": "Paid",
    "void": "Void",
    "uncollectible": "Written off",
    "draft": "Draft",
}
METHOD_TEXT = {
    "card": "Card",
    "sepa_debit": "SEPA Direct Debit",
    "us_bank_account": "US bank account",
}


def _dicts(cursor: duckdb.DuckDBPyConnection, query: str, params: list) -> list[dict]:
    result = cursor.execute(query, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


@dataclass
class CustomerView:
    """Everything the portal's pages show one customer."""

    customer: dict
    meta: dict
    balances: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    credit_notes: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    next_invoices: list[dict] = field(default_factory=list)
    methods: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)  # changes the snapshot does not show yet

    # -- the customer's settings with their own recent changes ------------------------------

    @property
    def collection_method(self) -> str:
        value = self.customer["collection_method"]
        for change in self.pending:
            if change["field"] == "collection_method":
                value = change["new_value"]
        return value

    @property
    def invoice_email(self) -> str | None:
        value = self.customer["invoice_email"]
        for change in self.pending:
            if change["field"] == "invoice_email":
                value = change["new_value"]
        return value

    @property
    def switched_to_auto(self) -> bool:
        """Whether a change since the snapshot could make billing charge automatically."""
        return any(
            (c["field"] == "collection_method" and c["new_value"] == "auto")
            or (
                c["action"] in ("added", "set_default")
                and self.customer["collection_method"] == "auto"
            )
            for c in self.pending
        )

    def payment_methods(self) -> list[dict]:
        """Active methods with their own changes since the snapshot applied, in order: the
        default first (the most recent set_default wins, as billing decides)."""
        methods = {m["payment_method_id"]: dict(m) for m in self.methods}
        default = next((m["payment_method_id"] for m in self.methods if m["is_default"]), None)
        for change in self.pending:
            pm = change["payment_method_id"]
            if change["action"] == "added":
                methods[pm] = {
                    "payment_method_id": pm,
                    "payment_method_type": change["type"],
                    "payment_method_last4": change["last4"],
                    "stripe_payment_method_id": change["stripe_payment_method_id"],
                    "is_pending": True,
                }
            elif change["action"] == "removed":
                methods.pop(pm, None)
            elif change["action"] == "set_default":
                default = pm
        if default not in methods:
            default = min(methods, default=None)
        for pm, method in methods.items():
            method["is_default"] = pm == default
            method["label"] = METHOD_TEXT.get(method["payment_method_type"], "")
        return sorted(methods.values(), key=lambda m: (not m["is_default"], m["payment_method_id"]))

    @property
    def default_method(self) -> dict | None:
        return next((m for m in self.payment_methods() if m["is_default"]), None)

    # -- paying -----------------------------------------------------------------------------

    def payable(self, invoice: dict, store: Store) -> tuple[bool, str]:
        """(can be paid now, why not): an open or late invoice that owes money, that no
        billing run will charge (docs/portal.md), with no portal payment under way."""
        if invoice["status"] not in ("open", "late") or invoice["amount_due"] <= 0:
            return False, ""
        states = pay_states(
            store, invoice_key(invoice["customer_id"], invoice["currency"], invoice["created_date"])
        )
        if "succeeded" in states:
            return False, "Payment received; it shows here after the next billing run."
        if states & {"planned", "pending", "processing"}:
            return False, "Payment under way."
        if invoice["status"] == "open":
            auto = (
                self.customer["collection_method"] == "auto"
                and self.customer["has_usable_payment_method"]
            )
            if auto or self.switched_to_auto:
                return False, "Will be charged automatically."
        return True, ""


# the pages' date fields (JSON has none: they arrive as text)
DATES = {"issue_date", "due_date", "created_date", "start_date", "expected_date"}


def _typed(row: dict) -> dict:
    return {k: date.fromisoformat(v) if k in DATES and v else v for k, v in row.items()}


def load_view(
    cursor: duckdb.DuckDBPyConnection, store: Store, customer_id: str, meta: dict | None = None
) -> CustomerView | None:
    """The customer's view (one lookup of the snapshot's `pages`), or None if the snapshot
    does not know the customer. Amounts are Decimal (JSON numbers read as Decimal)."""
    found = cursor.execute("select page from pages where customer_id = ?", [customer_id]).fetchall()
    if not found:
        return None
    page = json.loads(found[0][0], parse_float=Decimal)
    if meta is None:
        meta = _dicts(cursor, "select * from meta", [])[0]
    view = CustomerView(page["customer"], meta)
    for name in ("balances", "invoices", "credit_notes", "services", "next_invoices", "methods"):
        setattr(view, name, [_typed(row) for row in page[name]])
    view.pending = store.changes_of(customer_id, meta["portal_seq"] or 0)
    return view


def document(cursor: duckdb.DuckDBPyConnection, customer_id: str, number: str) -> dict | None:
    """The customer's own invoice or credit note `number` (never another customer's)."""
    found = _dicts(
        cursor,
        "select invoice_number as number, pdf_path from invoices where customer_id = ? "
        "and invoice_number = ? union all select credit_note_number, pdf_path from "
        "credit_notes where customer_id = ? and credit_note_number = ?",
        [customer_id, number, customer_id, number],
    )
    return found[0] if found else None


class Money:
    """Amounts as the customer's country writes them (Babel); dates in the pages' English."""

    def __init__(self, country: str | None):
        self.country = country
        self._formats: dict[str, Formats] = {}

    def __call__(self, amount: Decimal, currency: str) -> str:
        if currency not in self._formats:
            self._formats[currency] = Formats(self.country, currency)
        return self._formats[currency].money(amount)

    def date(self, day: date | None) -> str:
        return format_date(day, format="d MMM y", locale="en") if day else ""
