"""The wholesale test network.

Provider P1 sells W20 (wholesale 20.00 a month, start 10.00). Provider P2's product V30
(wholesale 30.00, start 0) is billed to subscribers by P2 itself (retail_billed_by
provider). Specs are made on the 1st for the month before.
- O1 (P1): active from Jan 10; terminated Feb 20, recorded only Mar 5.
- O2 (P1): activated Jan 25, recorded only Feb 3 (after the January spec was made).
- O3 (P2): active from Feb 1.
"""

from __future__ import annotations

from tests.support.inputs import write_table

PRODUCTS = [
    {
        "product_id": "W20",
        "provider_id": "P1",
        "name": "Wholesale 20",
        "billing_cycle": "monthly",
        "monthly_price": "50.00",
        "wholesale_monthly_fee": "20.00",
        "wholesale_start_fee": "10.00",
    },
    {
        "product_id": "V30",
        "provider_id": "P2",
        "name": "Provider billed",
        "billing_cycle": "monthly",
        "monthly_price": "45.00",
        "wholesale_monthly_fee": "30.00",
        "retail_billed_by": "provider",
    },
]


def write_network(folder):
    folder.mkdir(parents=True, exist_ok=True)
    write_table(
        folder,
        "providers",
        [
            {"provider_id": "P1", "name": "One", "currency": "EUR"},
            {"provider_id": "P2", "name": "Two", "currency": "EUR"},
        ],
    )
    write_table(folder, "products", PRODUCTS)
    write_table(
        folder,
        "customers",
        [{"customer_id": c, "name": f"Secret Name {c}", "email": f"{c}@x.net"} for c in "ABC"],
    )
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": o,
                "customer_id": c,
                "product_id": p,
                "connection_id": f"K{o}",
                "ordered_at": "2026-01-05",
            }
            for o, c, p in (("O1", "A", "W20"), ("O2", "B", "W20"), ("O3", "C", "V30"))
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {"event_id": "E1", "order_id": "O1", "event": "activated", "occurred_at": "2026-01-10"},
            {
                "event_id": "E2",
                "order_id": "O2",
                "event": "activated",
                "occurred_at": "2026-01-25",
                "recorded_at": "2026-02-03",
            },
            {"event_id": "E3", "order_id": "O3", "event": "activated", "occurred_at": "2026-02-01"},
        ],
    )
    write_table(
        folder,
        "order_events",
        [
            {
                "order_id": "O1",
                "event": "terminated",
                "effective_at": "2026-02-20",
                "recorded_at": "2026-03-05",
            }
        ],
    )
    return folder
