"""The portal tests' networks: Ann (C1, Norway) and Bob (C2, Germany), each with Monthly
60.00; and the same dated from today for the Stripe flows (portal changes take effect from
the day they are recorded, which is today)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fiberbill.cli import main
from tests.support.inputs import MINIMAL, run_args, write_table

CUSTOMERS = [
    {"customer_id": "C1", "name": "Ann Andersen", "country": "NO", "email": "ann@example.org"},
    {"customer_id": "C2", "name": "Bob Becker", "country": "DE", "email": "bob@example.org"},
]


def write_network(folder: Path, extra: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        **MINIMAL,
        "customers": CUSTOMERS,
        "orders": MINIMAL["orders"]
        + [
            {
                "order_id": "O2",
                "customer_id": "C2",
                "product_id": "PR1",
                "connection_id": "K2",
                "ordered_at": "2026-01-05",
            }
        ],
        "activation_events": MINIMAL["activation_events"]
        + [
            {
                "event_id": "E2",
                "order_id": "O2",
                "event": "activated",
                "occurred_at": "2026-01-12T09:00:00Z",
            }
        ],
        **(extra or {}),
    }
    for name, rows in tables.items():
        write_table(folder, name, rows)
    return folder


TODAY = date.today()


def write_stripe_network(folder: Path) -> Path:
    ann_day = TODAY - timedelta(days=40)
    bob_day = TODAY - timedelta(days=1)
    return write_network(
        folder,
        {
            "orders": [
                {**MINIMAL["orders"][0], "ordered_at": str(ann_day)},
                {
                    "order_id": "O2",
                    "customer_id": "C2",
                    "product_id": "PR1",
                    "connection_id": "K2",
                    "ordered_at": str(bob_day),
                },
            ],
            "activation_events": [
                {
                    "event_id": "E1",
                    "order_id": "O1",
                    "event": "activated",
                    "occurred_at": f"{ann_day}T09:00:00Z",
                },
                {
                    "event_id": "E2",
                    "order_id": "O2",
                    "event": "activated",
                    "occurred_at": f"{bob_day}T09:00:00Z",
                },
            ],  # fmt: skip
            "payment_methods": [
                {
                    "payment_method_id": "PM-BOB-OLD",
                    "customer_id": "C2",
                    "type": "card",
                    "status": "active",
                    "is_default": "true",
                    "last4": "1111",
                }
            ],
        },
    )


def bill(folder: Path, warehouse: Path, through: date) -> None:
    assert (
        main(
            run_args(
                folder,
                warehouse,
                through=str(through),
                exports=warehouse.parent / "exports",
                payments="stripe",
            )
        )
        == 0
    )
