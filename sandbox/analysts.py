"""The example queries of docs/analysts.md, and their outputs on the demo.

    python -m sandbox.analysts [--warehouse fiberbill.duckdb] [--doc docs/analysts.md]

Each example in the document is a ```sql block followed by its output, a Markdown table
between `<!-- output -->` and `<!-- /output -->`. This script runs every query on the
warehouse (read-only; `make demo` makes it) and writes the tables again, so the outputs
shown are what the queries give. tests/finance/test_analysts.py runs the same queries on
a network of the demo's size and checks their columns against the tables shown here.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb

DOC = Path(__file__).resolve().parent.parent / "docs" / "analysts.md"
EXAMPLE = re.compile(
    r"```sql\n(?P<sql>.*?)```\n+<!-- output -->\n(?P<output>.*?)<!-- /output -->",
    re.DOTALL,
)
MAX_ROWS = 12  # rows shown per output; the rest are counted below the table


@dataclass(frozen=True)
class Example:
    sql: str
    columns: list[str]  # the header of the output shown in the document


def examples(doc: Path = DOC) -> list[Example]:
    """The document's queries, in order, with the columns of the outputs it shows."""
    found = []
    for match in EXAMPLE.finditer(doc.read_text(encoding="utf-8")):
        header = next((line for line in match["output"].splitlines() if line.startswith("|")), "")
        found.append(Example(match["sql"], [c.strip() for c in header.strip("|").split("|")]))
    return found


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[tuple]]:
    result = con.execute(sql)
    return [c[0] for c in result.description], result.fetchall()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int):
        return f"{value:,}"
    return str(value)


def table(columns: list[str], rows: list[tuple]) -> str:
    """A Markdown table; numbers right-aligned with thousands separators."""
    numeric = [
        any(isinstance(row[i], Decimal | int | float) for row in rows) for i in range(len(columns))
    ]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines.append(f"\n({len(rows) - MAX_ROWS:,} more rows)")
    return "\n".join(lines) + "\n"


def write_outputs(warehouse: Path, doc: Path = DOC) -> int:
    """Run every example on `warehouse` and write its output into `doc`. Returns the
    number of examples."""
    text = doc.read_text(encoding="utf-8")
    with duckdb.connect(str(warehouse), read_only=True) as con:

        def replace(match: re.Match) -> str:
            columns, rows = run(con, match["sql"])
            output = table(columns, rows)
            return f"```sql\n{match['sql']}```\n\n<!-- output -->\n{output}<!-- /output -->"

        text, count = EXAMPLE.subn(replace, text)
    doc.write_text(text, encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.analysts", description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=Path("fiberbill.duckdb"))
    parser.add_argument("--doc", type=Path, default=DOC)
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"{args.warehouse}: no such warehouse: run `make demo` first", file=sys.stderr)
        return 2
    count = write_outputs(args.warehouse, args.doc)
    print(f"{args.doc}: {count} example(s) run on {args.warehouse}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
