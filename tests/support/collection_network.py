"""A small network of auto-collection customers, one per collection case, for localstripe.

Every customer has Monthly 60.00 with a start fee of 99.00, activated Jan 10 2026: the
first invoice (Jan 10) is 99.00 + 22/31 x 60 = 141.58, due Jan 24, late on Feb 1.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.localstripe import (
    ACH_OK,
    CARD_DECLINED_AT_ATTACH,
    CARD_DECLINED_AT_CHARGE,
    CARD_OK,
    IBAN_FAILS,
    IBAN_OK,
    LocalStripe,
)
from tests.support.inputs import MINIMAL, write_table

# customer -> (collection method, payment method kind, test number)
CASES = {
    "SA": ("auto", "card", CARD_OK),
    "SB": ("auto", "card", CARD_DECLINED_AT_CHARGE),
    "SC": ("auto", "sepa_debit", IBAN_OK),
    "SD": ("auto", "sepa_debit", IBAN_FAILS),
    "SE": ("auto", "us_bank_account", ACH_OK),
    "SF": ("auto", "card", CARD_DECLINED_AT_ATTACH),
    "SG": ("auto", "card", CARD_OK),  # terminated Jan 20, recorded Jan 20: refund
    "SH": ("manual", "card", CARD_OK),  # manual: never charged
}


def write_network(folder: Path, server: LocalStripe, cases=CASES, settings: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "providers", MINIMAL["providers"])
    write_table(folder, "products", MINIMAL["products"])
    write_table(
        folder,
        "customers",
        [
            {"customer_id": c, "name": f"Customer {c}", "collection_method": m}
            for c, (m, _, _) in cases.items()
        ],
    )
    make = {"card": server.card, "sepa_debit": server.sepa, "us_bank_account": server.ach}
    write_table(
        folder,
        "payment_methods",
        [
            {
                "payment_method_id": f"PM-{c}",
                "customer_id": c,
                "type": kind,
                "status": "active",
                "is_default": "true",
                "stripe_payment_method_id": make[kind](number),
            }
            for c, (_, kind, number) in cases.items()
        ],
    )
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": f"O{c}",
                "customer_id": c,
                "product_id": "PR1",
                "connection_id": f"K{c}",
                "ordered_at": "2026-01-05",
            }
            for c in cases
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {
                "event_id": f"E{c}",
                "order_id": f"O{c}",
                "event": "activated",
                "occurred_at": "2026-01-10",
            }
            for c in cases
        ],
    )
    if "SG" in cases:
        write_table(
            folder,
            "order_events",
            [
                {
                    "order_id": "OSG",
                    "event": "terminated",
                    "effective_at": "2026-01-20",
                    "recorded_at": "2026-01-20",
                }
            ],
        )
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    return folder
