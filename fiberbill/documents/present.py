"""What a document shows, as text: the rows of sql/20_invoices.sql and sql/30_credit_notes.sql
turned into one plain dictionary per document (the view), which both templates read: the
HTML page (templates/document.html.j2) and the PDF (templates/document.typ).

Amounts and dates are formatted for the customer's country with Babel (CLDR): `SE` gives
sv_SE, `1 234,50 €` and `5 jan. 2026`; no country, or one Babel does not know, gives
English (en_GB). Labels are English: there is no translation catalog yet. Every amount is
a Decimal already rounded to cents by the ledger; Babel only formats it. No Dagster import.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
from datetime import date
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from ingest.settings import Operator

FALLBACK_LOCALE = Locale.parse("en_GB")
# CLDR's paper size: these countries print on US Letter, every other one on A4
LETTER_COUNTRIES = frozenset(
    {"US", "CA", "MX", "BZ", "CL", "CO", "CR", "GT", "NI", "PA", "PH", "PR", "SV", "VE"}
)
KIND_TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}
METHOD_NAMES = {
    "card": "card",
    "us_bank_account": "US bank account",
    "sepa_debit": "SEPA Direct Debit",
}
REASONS = {
    "termination_refund": "Service ended: the unused days are credited",
    "correction": "Correction of what was billed",
}


def locale_for(country: str | None) -> Locale:
    """The customer's locale: the most likely one of its country (CLDR), else English."""
    if country:
        try:
            return Locale.parse(f"und_{country.strip().upper()}")
        except (UnknownLocaleError, ValueError):
            pass
    return FALLBACK_LOCALE


def paper_for(country: str | None) -> str:
    """The page size of documents sent to `country`, as Typst names it."""
    return "us-letter" if (country or "").strip().upper() in LETTER_COUNTRIES else "a4"


class Formats:
    """Money, dates and rates as the customer's country writes them."""

    def __init__(self, country: str | None, currency: str):
        self.locale = locale_for(country)
        self.currency = currency

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def date(self, day: date | None) -> str:
        return format_date(day, format="medium", locale=self.locale) if day else ""

    def rate(self, rate: Decimal) -> str:
        return format_decimal(rate * 100, format="#,##0.##", locale=self.locale) + " %"


def _lines(text: str | None) -> list[str]:
    """An address as lines: written with newlines or with `;` between its parts."""
    parts = (text or "").replace(";", "\n").splitlines()
    return [part.strip() for part in parts if part.strip()]


@functools.cache
def logo_uri(path: str) -> str:
    """The logo as a data: URI, so the HTML document needs no other file."""
    if not path:
        return ""
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"data:{kind};base64," + base64.b64encode(Path(path).read_bytes()).decode()


def _parties(row: dict, operator: Operator) -> dict:
    return {
        "operator": {
            "logo": operator.logo,  # the PDF reads the file (Typst's root is /)
            "logo_uri": logo_uri(operator.logo),
            "name": operator.legal_name,
            "address": _lines(operator.address),
            "registration_id": operator.registration_id,
            "email": operator.email,
        },
        "customer": {
            "id": row["customer_id"],
            "name": row["customer_name"] or row["customer_id"],
            "address": _lines(row["customer_address"]),
            "email": row["customer_email"] or "",
        },
    }


def _transfer(operator: Operator, number: str) -> str:
    reference = operator.payment_reference.format(number=number)
    text = f"Please pay by bank transfer with the reference {reference}."
    return f"{text} {operator.payment_instructions}" if operator.payment_instructions else text


def _line(f: Formats, line: dict, days: int | None = None, period_days: int | None = None):
    """A document line: the ledger's description, quantity 1, days as "22 of 31" when the
    line is for part of a period, the amount."""
    return {
        "description": line["description"],
        "quantity": "1",
        "days": f"{days} of {period_days}" if period_days else "",
        "amount": f.money(line["amount"]),
    }


def invoice_view(row: dict, operator: Operator) -> dict:
    """The view of one invoice (a row of sql/20_invoices.sql)."""
    f = Formats(row["country"], row["currency"])
    number = row["document_number"]
    lines = [_line(f, line, line["days"], line["period_days"]) for line in row["lines"] or []]
    totals = [("Subtotal", f.money(row["subtotal"]))]
    if row["discount_total"]:
        totals.append(("Discounts", f.money(-row["discount_total"])))
    for tax in row["taxes"] or []:
        label = f"Tax {f.rate(tax['tax_rate'])} of {f.money(tax['base'])}"
        totals.append((label, f.money(tax["tax"])))
    if not row["taxes"]:
        totals.append(("Tax", f.money(row["tax_total"])))
    totals.append(("Total", f.money(row["total"])))
    if row["paid_at_issue"]:
        totals.append(("Paid", f.money(-row["paid_at_issue"])))
    method = row["payment_method_type"]
    if row["due_at_issue"] == 0:
        payment = "Nothing is due: this invoice is paid."
    elif row["collection_method"] == "auto" and method:
        ending = f" ending {row['payment_method_last4']}" if row["payment_method_last4"] else ""
        payment = (
            f"{f.money(row['due_at_issue'])} will be charged automatically to your "
            f"{METHOD_NAMES.get(method, method)}{ending} on or after {f.date(row['issue_date'])}."
        )
    else:
        payment = _transfer(operator, number)
    view = _parties(row, operator) | {
        "kind": "invoice",
        "title": KIND_TITLES["invoice"],
        "number": number,
        "draft_id": None,
        "draft": False,
        "paper": paper_for(row["country"]),
        "lang": f.locale.language,
        "facts": [
            ("Invoice number", number),
            ("Issue date", f.date(row["issue_date"])),
            ("Due date", f.date(row["due_date"])),
            ("Customer", row["customer_id"]),
            ("Currency", row["currency"]),
        ],
        "lines": lines,
        "totals": totals,
        "amount_due": ("Amount due", f.money(row["due_at_issue"])),
        "payment": payment,
    }
    if row["is_draft"]:  # a preview: no number, nothing due yet
        view |= {
            "number": None,
            "draft_id": number,
            "draft": True,
            "facts": [
                ("Draft", number),
                ("Made on", f.date(row["issue_date"])),
                ("Customer", row["customer_id"]),
                ("Currency", row["currency"]),
            ],
            "amount_due": None,
            "payment": "This is a draft: it has no number yet and nothing is due until it is "
            "issued.",
        }
    return view


def credit_note_view(row: dict, operator: Operator) -> dict:
    """The view of one credit note (a row of sql/30_credit_notes.sql)."""
    f = Formats(row["country"], row["currency"])
    number = row["document_number"]
    lines = [_line(f, line) for line in row["lines"] or []]
    net = sum((line["amount"] for line in row["lines"] or []), Decimal("0.00"))
    credited = row["credited_invoice_number"]
    if row["is_refunded"]:
        route = (
            f"{f.money(row['refunded'])} is refunded to the payment method invoice {credited} "
            "was paid with; the rest, if any, reduces what it owes or is kept as your credit "
            "balance."
        )
    else:
        route = (
            f"This credit reduces what invoice {credited} owes; any part of it that invoice no "
            "longer owes is kept as your credit balance for your next invoices."
        )
    return _parties(row, operator) | {
        "kind": "credit_note",
        "title": KIND_TITLES["credit_note"],
        "number": number,
        "draft_id": None,
        "draft": False,
        "paper": paper_for(row["country"]),
        "lang": f.locale.language,
        "facts": [
            ("Credit note number", number),
            ("Issue date", f.date(row["issue_date"])),
            ("Credits invoice", credited),
            ("Reason", REASONS.get(row["reason"], row["reason"])),
            ("Customer", row["customer_id"]),
            ("Currency", row["currency"]),
        ],
        "lines": lines,
        "totals": [
            ("Credited before tax", f.money(net)),
            ("Tax credited", f.money(row["amount"] - net)),
            ("Total credited", f.money(row["amount"])),
        ],
        "amount_due": None,
        "payment": route,
    }
