"""Document numbers and ids never lose digits: the millionth invoice of a year must not
share the number of the hundred-thousandth (DuckDB's lpad cuts a longer text)."""

from __future__ import annotations

import duckdb

from fiberbill.ledger.steps import STEPS


def test_numbers_and_ids_keep_every_digit():
    con = duckdb.connect()
    con.execute("create schema ledger")
    for statement in STEPS.statements("01_macros"):  # the numbering macros, as the ledger has them
        if statement.startswith("create or replace macro ledger.") and "as table" not in statement:
            con.execute(statement)
    rows = con.execute(
        """
        select
            ledger.document_number('INV', 2025, 42),
            ledger.document_number('INV', 2025, 100000),
            ledger.document_number('INV', 2025, 1000000),
            ledger.document_sequence(ledger.document_number('INV', 2025, 1000000)),
            ledger.draft_id(12),
            ledger.draft_id(123456789)
        """
    ).fetchone()
    assert rows == (
        "INV-2025-000042",
        "INV-2025-100000",
        "INV-2025-1000000",
        1000000,
        "DRAFT-00000012",
        "DRAFT-123456789",
    )
