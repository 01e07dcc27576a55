"""A network where every provider bills its own retail (open access model three): the
operator bills no subscriber at all, yet every month with wholesale lines gets its spec on
the 1st after it (contract §2 "Wholesale specifications")."""

from __future__ import annotations

import duckdb

from tests.support.inputs import write_table
from tests.support.marts import run


def test_wholesale_specs_are_made_without_any_operator_billed_retail(tmp_path):
    """V30: wholesale 30.00 a month, start 5.00, retail billed by P2 itself. Active from
    Jan 22: January = 10/31 x 30.00 = 9.68 + start fee 5.00; February = 30.00.
    No invoice is issued to anyone."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_table(folder, "providers", [{"provider_id": "P2", "name": "Two", "currency": "EUR"}])
    write_table(
        folder,
        "products",
        [
            {
                "product_id": "V30",
                "provider_id": "P2",
                "name": "Provider billed",
                "billing_cycle": "monthly",
                "monthly_price": "45.00",
                "wholesale_monthly_fee": "30.00",
                "wholesale_start_fee": "5.00",
                "retail_billed_by": "provider",
            }
        ],
    )
    write_table(folder, "customers", [{"customer_id": "C1", "name": "Ann"}])
    write_table(
        folder,
        "orders",
        [
            {
                "order_id": "O1",
                "customer_id": "C1",
                "product_id": "V30",
                "connection_id": "K1",
                "ordered_at": "2026-01-02",
            }
        ],
    )
    write_table(
        folder,
        "activation_events",
        [{"event_id": "E1", "order_id": "O1", "event": "activated", "occurred_at": "2026-01-22"}],
    )
    warehouse = tmp_path / "wh.duckdb"
    run(folder, warehouse, through="2026-03-01")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        specs = con.sql(
            "select spec_month, line_count, total::varchar, generated_on::varchar "
            "from marts.wholesale_specs order by spec_month"
        ).fetchall()
        invoices = con.sql("select count(*) from marts.invoices").fetchall()[0][0]
    assert specs == [("2026-01", 2, "14.68", "2026-02-01"), ("2026-02", 1, "30.00", "2026-03-01")]
    assert invoices == 0
