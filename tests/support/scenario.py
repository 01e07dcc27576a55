"""A small network in which each customer is one billing rule's golden case (UTC, tax 0
unless said). Hand-computed amounts are in the tests' docstrings."""

from __future__ import annotations

from tests.support.inputs import write_table

PROVIDERS = [{"provider_id": "P1", "name": "Fiber One", "currency": "EUR"}]
PRODUCTS = [
    {
        "product_id": "M60",
        "provider_id": "P1",
        "name": "Monthly 60",
        "billing_cycle": "monthly",
        "monthly_price": "60.00",
        "start_fee": "99.00",
    },
    {
        "product_id": "A60",
        "provider_id": "P1",
        "name": "Anniversary 60",
        "billing_cycle": "anniversary",
        "monthly_price": "60.00",
        "start_fee": "0",
    },
    {
        "product_id": "G535",
        "provider_id": "P1",
        "name": "Half cent",
        "billing_cycle": "monthly",
        "monthly_price": "5.35",
    },
    {
        "product_id": "T1",
        "provider_id": "P1",
        "name": "Taxed one",
        "billing_cycle": "monthly",
        "monthly_price": "10.01",
        "tax_rate": "0.25",
    },
    {
        "product_id": "T2",
        "provider_id": "P1",
        "name": "Taxed two",
        "billing_cycle": "monthly",
        "monthly_price": "10.01",
        "tax_rate": "0.25",
    },
]
PROMOTIONS = [{"promotion_code": "HALF3", "kind": "percent", "value": "50", "duration_months": "3"}]
# customer, order, product, promotion
ORDERS = [
    ("CA", "OA", "M60", ""),
    ("CB", "OB", "M60", ""),
    ("CC", "OC", "M60", ""),
    ("CD", "OD", "M60", "HALF3"),
    ("CE", "OE", "A60", ""),
    ("CF", "OF", "A60", ""),
    ("CG", "OG", "G535", ""),
    ("CH", "OH1", "T1", ""),
    ("CH", "OH2", "T2", ""),
    ("CI", "OI", "M60", ""),
    ("CJ", "OJ", "M60", ""),
    ("CK", "OK", "M60", ""),
    ("CL", "OL", "M60", ""),
    ("CM", "OM", "M60", ""),
]
# order, event, occurred_at, recorded_at
ACTIVATIONS = [
    ("OA", "activated", "2026-01-10", ""),
    ("OB", "activated", "2026-01-10", ""),
    ("OC", "activated", "2026-01-10", ""),
    ("OD", "activated", "2026-01-10", ""),
    ("OE", "activated", "2026-01-31", ""),
    ("OF", "activated", "2026-01-15", ""),
    ("OG", "activated", "2026-04-16", ""),
    ("OH1", "activated", "2026-02-01", ""),
    ("OH2", "activated", "2026-02-01", ""),
    ("OI", "activated", "2026-02-05T08:00:00Z", ""),
    ("OI", "deactivated", "2026-02-05T12:00:00Z", ""),
    ("OK", "activated", "2026-02-10", ""),
    ("OL", "activated", "2026-03-05", "2026-03-15"),
    ("OM", "activated", "2026-01-10", ""),
    ("OM", "deactivated", "2026-02-10", ""),
    ("OM", "activated", "2026-02-20", ""),
]
# order, event, effective_at, recorded_at
ORDER_EVENTS = [
    ("OB", "terminated", "2026-03-20", "2026-03-20"),
    ("OC", "terminated", "2026-03-20", "2026-02-20"),
    ("OF", "terminated", "2026-02-20", "2026-02-20"),
    ("OJ", "cancelled", "2026-01-20", "2026-01-20"),
    ("OK", "terminated", "2026-02-10", "2026-02-12"),
]
THROUGH = "2026-04-20"


# The golden cases are about charges, so they run without late fees (tests/billing/
# test_collection.py covers those); their statuses still turn late.
NO_LATE_FEES = 'late_fee = { kind = "none" }\n'


def write_scenario(folder, settings: str | None = None, order_events=ORDER_EVENTS):
    folder.mkdir(parents=True, exist_ok=True)
    if settings is None or "late_fee" not in settings:
        settings = NO_LATE_FEES + (settings or "")
    write_table(folder, "providers", PROVIDERS)
    write_table(folder, "products", PRODUCTS)
    write_table(folder, "promotions", PROMOTIONS)
    customers = sorted({c for c, *_ in ORDERS})
    write_table(folder, "customers", [{"customer_id": c, "name": c} for c in customers])
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": o,
                "customer_id": c,
                "product_id": p,
                "connection_id": f"K-{o}",
                "ordered_at": "2026-01-05",
                "promotion_code": promo,
            }
            for c, o, p, promo in ORDERS
        ],
    )
    write_table(
        folder,
        "activation_events",
        [
            {"event_id": f"E{i}", "order_id": o, "event": e, "occurred_at": at, "recorded_at": rec}
            for i, (o, e, at, rec) in enumerate(ACTIVATIONS, 1)
        ],
    )
    if order_events:
        write_table(
            folder,
            "order_events",
            [
                {"order_id": o, "event": e, "effective_at": at, "recorded_at": rec}
                for o, e, at, rec in order_events
            ],
        )
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    return folder
