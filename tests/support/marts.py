"""Run fiberbill on a folder and read the marts back."""

from __future__ import annotations

from pathlib import Path

import duckdb

from fiberbill.cli import main
from tests.support.inputs import run_args
from tests.support.scenario import THROUGH


def run(folder: Path, warehouse: Path, through: str = THROUGH) -> None:
    assert main(run_args(folder, warehouse, through=through)) == 0


class Marts:
    def __init__(self, warehouse: Path):
        self.warehouse = warehouse

    def rows(self, sql: str, params=()) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return [
                tuple(str(v) if v is not None else None for v in row)
                for row in con.execute(sql, list(params)).fetchall()
            ]

    def invoices(self, customer: str) -> list[tuple]:
        return self.rows(
            "select issue_date, subtotal, discount_total, tax_total, total, status "
            "from marts.invoices where customer_id = ? order by invoice_number",
            [customer],
        )

    def lines(self, customer: str) -> list[tuple]:
        return self.rows(
            "select i.issue_date, l.kind, l.service_start, l.service_end, l.days, "
            "l.period_days, l.amount from marts.invoice_lines l "
            "join marts.invoices i using (invoice_number) "
            "where l.customer_id = ? order by l.invoice_number, l.line_number",
            [customer],
        )

    def credit_notes(self, customer: str) -> list[tuple]:
        return self.rows(
            "select c.issue_date, i.issue_date, c.reason, c.amount from marts.credit_notes c "
            "join marts.invoices i using (invoice_number) where c.customer_id = ? "
            "order by c.credit_note_number",
            [customer],
        )


# records of builds and calls, which a failed call adds to (fiberbill/journal.py)
NOT_CONTENT = ("ops.calls", "ops.dbt_build_stamps")


def contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse with its rows in order (records of builds and calls
    left out): what "the warehouse exactly as it was" compares."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where database_name = current_database() order by all"
        ).fetchall()
        return {
            name: con.execute(f"select * from {name} order by all").fetchall()
            for (name,) in tables
            if name not in NOT_CONTENT
        }
