"""dbt's unit tests (dbt/models/**/_*.yml, `unit_tests:`) check the models' logic on fixed
rows. A billing run builds without them (they say nothing about the day's data), so the
suite runs them here, once, on a warehouse whose models exist."""

from __future__ import annotations

import re

from dagster_project.cli import main
from dagster_project.dbt_cli import DBT_PROJECT_DIR, run_dbt
from tests.conftest import MINIMAL, run_args, write_table


def test_every_dbt_unit_test_passes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, rows in MINIMAL.items():
        write_table(folder, name, rows)
    warehouse = tmp_path / "warehouse.duckdb"
    assert main(run_args(folder, warehouse)) == 0
    declared = sum(
        len(re.findall(r"^  - name: ", text.split("\nunit_tests:\n", 1)[1], re.M))
        for text in (p.read_text() for p in (DBT_PROJECT_DIR / "models").rglob("*.yml"))
        if "\nunit_tests:\n" in text
    )
    assert declared >= 3
    ran = run_dbt("test", warehouse, {"through": "2026-02-01"}, select=["test_type:unit"])
    assert ran == declared
