"""CSV cells a spreadsheet would run as formulas are written as text (exports/cells.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exports.cells import spreadsheet_safe, sql_macro
from fiberbill.admin import Listing, render
from ingest.loader import connect

CASES = [
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+1+2", "'+1+2"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tO1", "'\tO1"),
    ("O-1", "O-1"),
    ("plain", "plain"),
    ("", ""),
]


@pytest.mark.parametrize(("cell", "written"), CASES)
def test_a_text_cell_that_starts_like_a_formula_gets_a_quote(cell, written):
    assert spreadsheet_safe(cell) == written


@pytest.mark.parametrize(("cell", "written"), CASES)
def test_the_duckdb_macro_applies_the_same_rule(cell, written):
    con = connect()
    con.execute(sql_macro())
    assert con.execute("select csv_safe(?)", [cell]).fetchall() == [(written,)]


def test_csv_lists_quote_formulas_but_keep_numbers_numbers():
    listing = Listing(["customer_id", "amount_due"], [("=1+1", Decimal("-20.00"))])
    assert render(listing, "csv") == "customer_id,amount_due\n'=1+1,-20.00"
