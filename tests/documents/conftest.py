"""The golden scenario billed with documents, once per test session (tests/documents)."""

from __future__ import annotations

import pytest

from fiberbill.cli import main
from tests.support.inputs import run_args, write_table
from tests.support.scenario import ORDERS, write_scenario

OPERATOR = """
late_fee = { kind = "fixed", value = 5.00 }
[operator]
legal_name = "Nordfiber AB"
address = "Storgatan 1; 111 22 Stockholm; Sweden"
registration_id = "SE556677889901"
payment_instructions = "Bankgiro 123-4567."
payment_reference = "OCR {number}"
"""
# (customer, name, country, address, e-mail): CD writes as Germany does, CH as Sweden
PEOPLE = {
    "CD": ("Dora Schmidt", "DE", "Hauptstraße 5\n10115 Berlin", "dora@example.de"),
    "CH": ("Hugo Berg", "SE", "Vägen 2; 411 01 Göteborg", "hugo@example.se"),
}


@pytest.fixture(scope="session")
def book(tmp_path_factory):
    base = tmp_path_factory.mktemp("documents")
    data = base / "data"
    write_scenario(data, settings=OPERATOR)
    customers = sorted({customer for customer, *_ in ORDERS})
    write_table(
        data,
        "customers",
        [
            {
                "customer_id": c,
                "name": PEOPLE.get(c, (c,))[0],
                "country": PEOPLE[c][1] if c in PEOPLE else "",
                "address": PEOPLE[c][2] if c in PEOPLE else "",
                "email": PEOPLE[c][3] if c in PEOPLE else "",
            }
            for c in customers
        ],
    )
    warehouse, exports = base / "wh.duckdb", base / "exports"
    assert main(run_args(data, warehouse, through="2026-04-30", exports=exports)) == 0
    return warehouse, exports
