"""Cells a spreadsheet would run as a formula.

A text cell of a CSV file (a spec, a list) that starts with `=`, `+`, `-`, `@`, a tab or a
carriage return is written with a leading `'`, so Excel, LibreOffice and Google Sheets show
it as text instead of evaluating it (OWASP "CSV injection"). Numbers are never touched:
-20.00 stays a number. The one list of prefixes serves Python and the DuckDB macro.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A text cell as a spreadsheet will show it, never run it."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def sql_macro() -> str:
    """`csv_safe(x)`: the same rule for a DuckDB COPY (a temp macro of the connection)."""
    chars = "".join(FORMULA_PREFIXES).replace("-", "\\-")
    return (
        "create or replace temp macro csv_safe(x) as "
        f"case when regexp_matches(x, '^[{chars}]') then '''' || x else x end"
    )
