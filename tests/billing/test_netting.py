"""Charges that net to zero, periods without any service, and wholesale without retail
(contract §2 "Daily proration", "Termination and deactivation", "Wholesale specifications").

One network, `refund_unused_days.monthly = false`, product M20 at 20.00 a month with a
19.00 start fee (tax 0):
- CF (order OF, FREE100: 100 % for 2 months) active from Feb 1.
- CX (order OX, CAP25: fixed 25.00 a month, capped at the recurring amount) from Feb 1.
- CT (order OT) active from Jan 1, terminated effective Feb 1 (before February began),
  recorded only Feb 10, after February was billed on Feb 1.
"""

from __future__ import annotations

import pytest

from tests.support.inputs import write_table
from tests.support.marts import Marts, run

PRODUCTS = [
    {
        "product_id": "M20",
        "provider_id": "P1",
        "name": "Monthly 20",
        "billing_cycle": "monthly",
        "monthly_price": "20.00",
        "start_fee": "19.00",
    }
]
PROMOTIONS = [
    {"promotion_code": "FREE100", "kind": "percent", "value": "100", "duration_months": "2"},
    {"promotion_code": "CAP25", "kind": "fixed", "value": "25.00", "duration_months": "1"},
]


def write_network(folder):
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "providers", [{"provider_id": "P1", "name": "One", "currency": "EUR"}])
    write_table(folder, "products", PRODUCTS)
    write_table(folder, "promotions", PROMOTIONS)
    write_table(folder, "customers", [{"customer_id": c, "name": c} for c in ("CF", "CT", "CX")])
    orders = [("CF", "OF", "FREE100"), ("CX", "OX", "CAP25"), ("CT", "OT", "")]
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": o,
                "customer_id": c,
                "product_id": "M20",
                "connection_id": f"K-{o}",
                "ordered_at": "2026-01-01",
                "promotion_code": promo,
            }
            for c, o, promo in orders
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {"event_id": "E1", "order_id": "OF", "event": "activated", "occurred_at": "2026-02-01"},
            {"event_id": "E2", "order_id": "OX", "event": "activated", "occurred_at": "2026-02-01"},
            {"event_id": "E3", "order_id": "OT", "event": "activated", "occurred_at": "2026-01-01"},
        ],
    )
    write_table(
        folder,
        "order_events",
        [
            {
                "order_id": "OT",
                "event": "terminated",
                "effective_at": "2026-02-01",
                "recorded_at": "2026-02-10",
            }
        ],
    )
    (folder / "settings.toml").write_text(
        'late_fee = { kind = "none" }\nrefund_unused_days = { monthly = false }\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def marts(tmp_path_factory) -> Marts:
    base = tmp_path_factory.mktemp("netting")
    warehouse = base / "wh.duckdb"
    run(write_network(base / "data"), warehouse, through="2026-03-05")
    return Marts(warehouse)


def test_a_100_percent_promotion_writes_the_charge_and_its_discount(marts):
    """FREE100 from Feb 1: Feb 1 invoice = start fee 19.00 + recurring 20.00 - discount
    20.00 -> subtotal 39.00, discount 20.00, total 19.00 (late by Mar 5). Mar 1: recurring 20.00 and
    discount 20.00 again, total 0.00: issued, and paid at once."""
    assert marts.invoices("CF") == [
        ("2026-02-01", "39.00", "20.00", "0.00", "19.00", "late"),
        ("2026-03-01", "20.00", "20.00", "0.00", "0.00", "paid"),
    ]
    assert marts.lines("CF")[-2:] == [
        ("2026-03-01", "recurring", "2026-03-01", "2026-03-31", "31", "31", "20.00"),
        ("2026-03-01", "discount", "2026-03-01", "2026-03-31", "31", "31", "-20.00"),
    ]


def test_a_fixed_promotion_capped_at_the_charge_shows_both_lines(marts):
    """CAP25 (25.00, capped at the 20.00 recurring amount) beside a 19.00 start fee:
    subtotal 39.00, discount_total 20.00, total 19.00; the same document as FREE100's."""
    assert marts.invoices("CX")[0] == ("2026-02-01", "39.00", "20.00", "0.00", "19.00", "late")
    assert [(kind, amount) for _, kind, *_, amount in marts.lines("CX")][:3] == [
        ("start_fee", "19.00"),
        ("recurring", "20.00"),
        ("discount", "-20.00"),
    ]


def test_a_period_without_any_active_day_is_credited_whatever_the_refund_setting(marts):
    """OT terminated effective Feb 1, recorded Feb 10. February was billed 20.00 on Feb 1
    but had no active day: even with refund_unused_days.monthly = false it owes nothing.
    The Feb 1 invoice holds only that line and is unpaid, so it is voided (no credit note);
    nothing is billed after it."""
    assert marts.invoices("CT") == [
        ("2026-01-01", "39.00", "0.00", "0.00", "39.00", "late"),
        ("2026-02-01", "20.00", "0.00", "0.00", "20.00", "void"),
    ]
    assert marts.credit_notes("CT") == []
