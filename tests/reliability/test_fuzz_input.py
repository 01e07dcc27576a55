"""Bad input never gives a traceback, and nothing is lost (contract §1 "Bad input").

- More than 10,000 generated rows, most of them bad in some way, load without an
  exception: every row is accepted, rejected (with a reason naming its column) or waiting,
  rows in = accepted + rejected per table, and the accepted and rejected rows are exactly
  the rows read, once each.
- More than 30 kinds of broken files: each either loads (with the same conservation) or is
  a whole-run error of one line naming the file; never another exception.
The rows are generated from a fixed seed, so a failure is reproducible.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import polars as pl
import pytest

from fiberbill.cli import main
from ingest.errors import InputError
from ingest.loader import connect, load_all, read_inputs
from ingest.schema import TABLES_BY_NAME
from ingest.settings import load_settings
from tests.support.inputs import MINIMAL, run_args, write_table

NASTY = [
    "",
    " ",
    "NaN",
    "-1",
    "-0.00",
    "1e400",
    "9" * 40,
    "0x10",
    "1_000",
    "1,50",
    " 12 ",
    "１２",
    "2026-02-30",
    "2026-13-01",
    "26-01-01",
    "2026-01-01T25:00:00Z",
    "2026-01-01T10:00:00+15:00",
    "2026-01-01T10:00:00 Europe/Oslo",
    "2026-01-01T10:00:00UTC",
    "yesterday",
    "true",
    "TRUE",
    "maybe",
    "weekly",
    "card ",
    "Ω≈ç√",
    "\u202e",
    "'; drop table x",
    '=HYPERLINK("x")',
    "@SUM(A1)",
    "x" * 5000,
    "../../etc",
    "a/b",
    ".",
    "..",
    "P1",
    "PR1",
    "C1",
    "O1",
    "O404",
    "EUR",
    "eur",
    "KWD",
    "JPY",
    "0",
    "0.25",
    "1.0000001",
    "100.005",
    "60.00",
    "2026-01-10",
    "2026-01-10T09:00:00Z",
    "activated",
    "deactivated",
]
TABLE_NAMES = ["providers", "products", "customers", "orders", "activation_events", "payments"]


def valid_row(table: str, i: int) -> dict:
    if table == "payments":
        return {
            "payment_id": f"PAY{i}",
            "invoice_number": "INV-2026-000001",
            "amount": "1.00",
            "currency": "EUR",
            "received_at": "2026-01-20",
            "method": "transfer",
        }
    row = dict(MINIMAL[table][0])
    key = TABLES_BY_NAME[table].key[0]
    row[key] = f"{row[key]}-{i}"
    return row


def generated_rows(rng: random.Random, table: str, n: int) -> list[dict]:
    rows = []
    columns = [c.name for c in TABLES_BY_NAME[table].columns]
    for i in range(n):
        row = valid_row(table, i)
        for column in rng.sample(columns, rng.randint(0, 3)):
            row[column] = rng.choice(NASTY)
        if rng.random() < 0.05 and rows:  # a duplicate key, same or other content
            row = dict(rng.choice(rows))
        rows.append(row)
    return rows


def conserved(con, report) -> None:
    """Rows in = accepted + rejected, and every row read is accepted or rejected once."""
    for count in report.counts:
        assert count.rows_in == count.accepted + count.rejected, count
        assert count.waiting <= count.rejected
    for table in TABLES_BY_NAME.values():
        read = con.execute(
            "select count(*) from raw.load_counts where source = ?", [table.name]
        ).fetchone()[0]
        if not read:
            continue
        accepted = con.execute(
            f"select count(distinct (_file, _row_number)) from raw.{table.name}"
        ).fetchone()[0]
        rejected = con.execute(
            "select count(distinct (file, row_number)) from raw.rejected_rows "
            "where source = ? and not is_warning",
            [table.name],
        ).fetchone()[0]
        both = con.execute(
            f"select count(*) from raw.{table.name} t join raw.rejected_rows r "
            "on r.source = ? and r.file = t._file and r.row_number = t._row_number "
            "and not r.is_warning",
            [table.name],
        ).fetchone()[0]
        rows_in = con.execute(
            "select sum(rows_in) from raw.load_counts where source = ?", [table.name]
        ).fetchone()[0]
        known = con.execute(
            "select sum(accepted - new_rows) from raw.load_counts where source = ?",
            [table.name],
        ).fetchone()[0]
        assert both == 0, table.name
        assert accepted + rejected + known == rows_in, table.name


def test_ten_thousand_generated_bad_rows_load_without_a_traceback(tmp_path):
    rng = random.Random(20261201)
    folder = tmp_path / "data"
    folder.mkdir()
    total = 0
    for table in TABLE_NAMES:
        rows = [valid_row(table, -1)] + generated_rows(rng, table, 1800)
        write_table(folder, table, rows)
        total += len(rows)
    assert total >= 10_000
    con = connect()
    report = load_all(con, read_inputs(folder), load_settings(folder), str(folder), None)
    assert sum(c.rows_in for c in report.counts) == total
    assert report.rejected > 5_000  # most rows are bad
    conserved(con, report)
    reasons = con.execute("select reason from raw.rejected_rows where not is_warning").fetchall()
    for (reason,) in reasons:  # each reason names a column, a key or a field count
        head = reason.split(":")[0].split(" ")[0]
        assert head in {c.name for t in TABLES_BY_NAME.values() for c in t.columns} | {
            "duplicate",
            "unknown",
            "expected",
            "value",
            "valid_to",
            "amount",
        }, reason


def csv_text(header: str, *lines: str) -> str:
    return "\n".join([header, *lines]) + "\n"


ORDERS_HEADER = "order_id,customer_id,product_id,connection_id,ordered_at"
ORDER = "O1,C1,PR1,K1,2026-01-05"


def parquet(frame: pl.DataFrame):
    return lambda path: frame.write_parquet(path)


# kind -> (file name, content: text, bytes or a writer, the expected outcome: "loads" or
# the start of the one-line error)
BROKEN = {
    "empty file": ("orders.csv", "", "orders.csv: empty file"),
    "header only": ("orders.csv", csv_text(ORDERS_HEADER), "loads"),
    "byte order mark": ("orders.csv", "\ufeff" + csv_text(ORDERS_HEADER, ORDER), "loads"),
    "latin-1 text": (
        "customers.csv",
        "customer_id,name\nC1,Bjørn\n".encode("latin-1"),
        "customers.csv: unreadable file: not UTF-8",
    ),
    "utf-16 text": (
        "customers.csv",
        "customer_id,name\nC1,Ann\n".encode("utf-16"),
        "customers.csv: unreadable file: not UTF-8",
    ),
    "random bytes": (
        "customers.csv",
        random.Random(1).randbytes(999),
        "customers.csv: unreadable file: not UTF-8",
    ),
    "missing required column": (
        "orders.csv",
        csv_text("order_id,customer_id", "O1,C1"),
        "orders.csv: missing required column 'product_id'",
    ),
    "column in another case": (
        "orders.csv",
        csv_text(ORDERS_HEADER.upper(), ORDER),
        "orders.csv: missing required column",
    ),
    "repeated column": (
        "orders.csv",
        csv_text(ORDERS_HEADER + ",order_id", ORDER + ",O2"),
        "orders.csv: column 'order_id' appears more than once",
    ),
    "quote never closed": (
        "orders.csv",
        csv_text(ORDERS_HEADER, 'O1,"C1,PR1,K1,2026-01-05', "O2,C1,PR1,K2,2026-01-05"),
        "orders.csv: line 2: broken CSV",
    ),
    "text after a closing quote": (
        "orders.csv",
        csv_text(ORDERS_HEADER, 'O1,"C1"x,PR1,K1,2026-01-05'),
        "orders.csv: line 2: broken CSV",
    ),
    "NUL byte": (
        "orders.csv",
        csv_text(ORDERS_HEADER, "O1,C\x001,PR1,K1,2026-01-05"),
        "loads",
    ),
    "field over the size limit": (
        "customers.csv",
        csv_text("customer_id,name", "C1," + "x" * 200_000),
        "customers.csv: line 2: broken CSV",
    ),
    "too many fields": ("orders.csv", csv_text(ORDERS_HEADER, ORDER + ",extra"), "loads"),
    "too few fields": ("orders.csv", csv_text(ORDERS_HEADER, "O1,C1"), "loads"),
    "blank lines": ("orders.csv", csv_text(ORDERS_HEADER, "", ORDER, "", ""), "loads"),
    "CRLF line ends": ("orders.csv", csv_text(ORDERS_HEADER, ORDER).replace("\n", "\r\n"), "loads"),
    "CR line ends": ("orders.csv", csv_text(ORDERS_HEADER, ORDER).replace("\n", "\r"), "loads"),
    "quoted line break": ("customers.csv", csv_text("customer_id,name", 'C1,"Ann\nLee"'), "loads"),
    "quote inside a field": ("customers.csv", csv_text("customer_id,name", 'C1,5" Cable'), "loads"),
    "unknown extra column": (
        "orders.csv",
        csv_text(ORDERS_HEADER + ",colour", ORDER + ",red"),
        "loads",
    ),
    "spaces around names": (
        "orders.csv",
        csv_text(ORDERS_HEADER.replace(",", " , "), ORDER),
        "loads",
    ),
    "parquet that is text": (
        "customers.parquet",
        "customer_id,name\nC1,Ann\n",
        "customers.parquet: unreadable file",
    ),
    "truncated parquet": ("customers.parquet", "truncated", "customers.parquet: unreadable file"),
    "parquet list column": (
        "customers.parquet",
        parquet(pl.DataFrame({"customer_id": ["C1"], "name": [["A"]]})),
        "customers.parquet: column 'name' has type List",
    ),
    "parquet struct column": (
        "customers.parquet",
        parquet(pl.DataFrame({"customer_id": ["C1"], "name": [{"first": "A"}]})),
        "customers.parquet: column 'name' has type Struct",
    ),
    "parquet binary column": (
        "customers.parquet",
        parquet(pl.DataFrame({"customer_id": ["C1"], "name": [b"A"]})),
        "customers.parquet: column 'name' has type Binary",
    ),
    "parquet typed columns": (
        "customers.parquet",
        parquet(pl.DataFrame({"customer_id": [1], "name": [2.5], "created_at": [True]})),
        "loads",
    ),
    "parquet missing column": (
        "customers.parquet",
        parquet(pl.DataFrame({"customer_id": ["C1"]})),
        "customers.parquet: missing required column 'name'",
    ),
    "jsonl not json": (
        "customers.jsonl",
        '{"customer_id": "C1", "name": \n',
        "customers.jsonl: unreadable file",
    ),
    "jsonl nested": (
        "customers.jsonl",
        '{"customer_id": "C1", "name": {"a": 1}}\n',
        "customers.jsonl: column 'name' has type Struct",
    ),
    "jsonl list": (
        "customers.jsonl",
        '{"customer_id": "C1", "name": [1, 2]}\n',
        "customers.jsonl: column 'name' has type List",
    ),
    "a folder named like a table": ("orders.csv", "folder", "orders.csv: required table"),
    "a dangling link": ("orders.csv", "link", "orders.csv: required table"),
}


def write_broken(folder: Path, name: str, content) -> None:
    path = folder / name
    table = name.split(".")[0]
    if name.endswith((".parquet", ".jsonl")) and table in MINIMAL:
        (folder / f"{table}.csv").unlink()
    elif table in MINIMAL and name.endswith(".csv"):
        path.unlink()
    if content == "folder":
        path.mkdir()
    elif content == "link":
        path.symlink_to(folder / "nowhere")
    elif callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_a_broken_file_is_one_line_or_loads_without_losing_a_row(make_inputs, kind):
    name, content, expected = BROKEN[kind]
    folder = make_inputs()
    write_broken(folder, name, content)
    try:
        inputs = read_inputs(folder)
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message
        assert message.startswith(expected), message
        return
    assert expected == "loads", f"{kind}: loaded, expected {expected!r}"
    con = connect()
    report = load_all(con, inputs, load_settings(folder), str(folder), None)
    conserved(con, report)


@pytest.mark.parametrize("kind", ["quote never closed", "parquet list column", "utf-16 text"])
def test_the_command_line_says_it_in_one_line_with_exit_2(make_inputs, tmp_path, capsys, kind):
    name, content, expected = BROKEN[kind]
    folder = make_inputs()
    write_broken(folder, name, content)
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse, through="2026-01-31")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"fiberbill: error: {expected}")
    assert not warehouse.exists()


def test_csv_rows_in_count_physical_records(make_inputs):
    """A quoted field across two lines is one row: row numbers are records, not lines."""
    folder = make_inputs()
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerows([["customer_id", "name"], ["C1", "Ann\nLee"], ["C2", "Bo"]])
    con = connect()
    report = load_all(con, read_inputs(folder), load_settings(folder), str(folder), None)
    assert [(c.rows_in, c.accepted) for c in report.counts if c.table == "customers"] == [(2, 2)]
    assert con.execute(
        "select customer_id, _row_number from raw.customers order by 1"
    ).fetchall() == [("C1", 1), ("C2", 2)]
