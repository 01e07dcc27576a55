"""The portal tests' networks: Ann (C1, Norway) and Bob (C2, Germany), each with Monthly
60.00; and the same dated from today for the Stripe flows (portal changes take effect from
the day they are recorded, which is today)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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


@contextlib.contextmanager
def stripe_portal(root: Path, stripe_base: str, monkeypatch) -> Iterator[tuple[Path, Path, str]]:
    """The network above billed through yesterday with collection through localstripe (its
    data reset first), and the portal serving it with Stripe: yields (input folder,
    warehouse, portal base URL)."""
    from fiberbill.collection.gateway import StripeGateway
    from fiberbill.portal.app import PortalConfig
    from sandbox.localstripe import API_KEY, LocalStripe
    from tests.support.portal import SECRET, serve

    LocalStripe(stripe_base).delete("/_config/data")
    monkeypatch.setenv("STRIPE_API_KEY", API_KEY)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_base)
    folder = write_stripe_network(root / "data")
    warehouse = root / "w.duckdb"
    bill(folder, warehouse, TODAY - timedelta(days=1))
    gateway = StripeGateway(api_key=API_KEY, api_base=stripe_base, max_retries=0)
    config = PortalConfig(warehouse=warehouse, secret=SECRET, base_url="http://127.0.0.1",
                          stripe=gateway, redeem_limit=1000)  # fmt: skip
    with serve(config) as base:
        yield folder, warehouse, base
