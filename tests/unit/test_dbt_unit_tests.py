"""dbt's unit tests (dbt/models/**/_*.yml, `unit_tests:`) check the models' logic on fixed
rows. A billing run builds without them (they say nothing about the day's data), so the
suite runs them here, once, on a warehouse whose models exist. The marts' identity tests
run in every billing run; here they are shown to catch a mart that breaks them."""

from __future__ import annotations

import re

import duckdb
import pytest

from fiberbill.cli import main
from fiberbill.dbt import DBT_PROJECT_DIR, DbtError, run_dbt
from tests.support.inputs import MINIMAL, run_args, write_tables

VARS = {"through": "2026-02-01"}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    base = tmp_path_factory.mktemp("dbt-tests")
    folder = write_tables(base / "in", MINIMAL)
    warehouse = base / "warehouse.duckdb"
    assert main(run_args(folder, warehouse)) == 0
    return warehouse


def test_every_dbt_unit_test_passes(warehouse):
    declared = sum(
        len(re.findall(r"^  - name: ", text.split("\nunit_tests:\n", 1)[1], re.M))
        for text in (p.read_text() for p in (DBT_PROJECT_DIR / "models").rglob("*.yml"))
        if "\nunit_tests:\n" in text
    )
    assert declared >= 3
    ran = run_dbt("test", warehouse, VARS, select=["test_type:unit"])
    assert ran == declared


def test_the_invoice_identities_catch_a_total_that_does_not_add_up(warehouse):
    identities = ["assert_invoice_totals_add_up"]
    assert run_dbt("test", warehouse, VARS, select=identities) == 1
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.invoices set total = total + 0.01 "
            "where invoice_number = 'INV-2026-000001'"
        )
    with pytest.raises(DbtError, match="assert_invoice_totals_add_up: Got 1 result"):
        run_dbt("test", warehouse, VARS, select=identities)
