"""Collection's check, which needs more than the warehouse (whether collection is on):
every open auto-collection invoice has had a Stripe attempt. The query is
fiberbill/collection/sql/95_unattempted_auto_invoices.sql. The ledger's own checks (gapless
numbers, ledger totals equal to the marts, keys and values) are dbt tests (dbt/tests/ledger,
dbt/tests/marts), so a plain `dbt build` runs them. No Dagster import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from fiberbill.collection.collector import SQL


@dataclass
class Finding:
    passed: bool
    summary: str
    details: dict[str, object] = field(default_factory=dict)


def unattempted_auto_invoices(con: duckdb.DuckDBPyConnection, collecting: bool) -> Finding:
    """Every open invoice of an auto-collection customer has had a Stripe payment attempt."""
    if not collecting:
        return Finding(True, "collection is off (no STRIPE_API_KEY): nothing to check")
    rows = {
        bool(usable): (customers, invoices)
        for usable, customers, invoices in SQL.rows(con, "95_unattempted_auto_invoices")
    }
    with_method, without_method = rows.get(True, (0, 0)), rows.get(False, (0, 0))
    details = {
        "customers_with_usable_method": with_method[0],
        "customers_without_usable_method": without_method[0],
        "invoices": with_method[1] + without_method[1],
    }
    if not details["invoices"]:
        return Finding(True, "every open auto-collection invoice has a payment attempt", details)
    return Finding(
        False,
        f"{with_method[0]} customer(s) with a usable payment method and {without_method[0]} "
        "without one have an open auto-collection invoice that was never attempted",
        details,
    )
