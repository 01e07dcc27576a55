"""`fiberbill run` from the outside: exit codes, one-line reasons, nothing written on bad
input, and a second call that changes nothing (contract §1 and §4)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fiberbill.cli import main
from tests.support.inputs import MINIMAL, run_args, write_tables

FIBERBILL = str(Path(sys.executable).with_name("fiberbill"))


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def call(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FIBERBILL, *args], capture_output=True, text=True, timeout=300)


def tables(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


@pytest.fixture(scope="module")
def billed(tmp_path_factory) -> Path:
    """A folder with the minimal network billed through Jan 31 (copied by each test)."""
    base = tmp_path_factory.mktemp("billed")
    folder = write_tables(base / "data", MINIMAL)
    assert main(run_args(folder, base / "wh.duckdb", through="2026-01-31")) == 0
    return base


@pytest.fixture
def bad_folder(make_inputs):
    """A folder with one bad order row and one promotion warning."""
    return make_inputs(
        orders=MINIMAL["orders"]
        + [
            {**MINIMAL["orders"][0], "order_id": "O2", "ordered_at": "not-a-date"},
            {**MINIMAL["orders"][0], "order_id": "O3", "promotion_code": "NOPE"},
        ]
    )


def test_a_run_loads_builds_and_prints_a_summary(bad_folder, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    result = call(*run_args(bad_folder, warehouse))
    assert result.returncode == 0, result.stderr
    orders_line = next(line for line in result.stdout.splitlines() if line.startswith("orders"))
    # rows in, accepted, rejected, waiting (for a reference not loaded yet), warnings
    assert orders_line.split() == ["orders", "3", "2", "1", "0", "1"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select source, file, row_number, reason from marts.rejected_rows order by row_number"
        ).fetchall()
    assert rows == [
        ("orders", "orders.csv", 2, "ordered_at: not an ISO-8601 timestamp: 'not-a-date'"),
        ("orders", "orders.csv", 3, "promotion: unknown code 'NOPE'"),
    ]


def test_a_second_call_with_the_same_files_changes_nothing(make_inputs, tmp_path):
    folder, warehouse = make_inputs(), tmp_path / "wh.duckdb"
    args = run_args(folder, warehouse)
    assert main(args) == 0
    before = tables(warehouse)
    assert main(args) == 0
    assert tables(warehouse) == before
    assert before["raw.load_batches"] == 1 and before["ops.runs"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: (f / "orders.csv").unlink(), "orders.csv: required table is missing"),
        (
            lambda f: (f / "orders.csv").write_text("order_id\nO1\n"),
            "orders.csv: missing required column 'customer_id'",
        ),
        (
            lambda f: (f / "settings.toml").write_text("grace_days = -3\n"),
            "settings.toml: grace_days: expected a whole number of days >= 0",
        ),
        (
            lambda f: (f / "settings.toml").write_text("colour = 'blue'\n"),
            "settings.toml: colour: unknown key",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(billed, tmp_path, change, message):
    # an existing warehouse must be left exactly as it was
    shutil.copytree(billed, tmp_path, dirs_exist_ok=True)
    folder, warehouse = tmp_path / "data", tmp_path / "wh.duckdb"
    before = digest(warehouse)
    change(folder)
    result = call(*run_args(folder, warehouse, through="2026-02-28"))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"fiberbill: error: {message}")
    assert digest(warehouse) == before
    # besides the untouched warehouse: only the writer lock, dbt's logs and the portal's
    # snapshot of the first call (the failed call published none)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data",
        "wh.duckdb",
        "wh.duckdb.lock",
        "wh.duckdb.logs",
        "wh.duckdb.portal-snapshot.duckdb",
        "wh.duckdb.portal-snapshots",
    ]
    assert len(list((tmp_path / "wh.duckdb.portal-snapshots").iterdir())) == 1


def test_bad_input_on_a_fresh_warehouse_creates_no_file(make_inputs, tmp_path):
    folder = make_inputs()
    (folder / "customers.csv").unlink()
    warehouse = tmp_path / "new.duckdb"
    assert main(run_args(folder, warehouse, "--payments", "stripe")) == 2
    assert not warehouse.exists()


def test_strict_turns_any_rejection_or_warning_into_exit_2(bad_folder, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    result = call(*run_args(bad_folder, warehouse, "--strict"))
    assert result.returncode == 2
    assert result.stderr.startswith("fiberbill: error: --strict: 1 row(s) rejected and 1 warning")
    assert not warehouse.exists()


def test_strict_passes_a_clean_folder(make_inputs, tmp_path):
    assert main(run_args(make_inputs(), tmp_path / "wh.duckdb", "--strict")) == 0


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["run", "--data", "x"], "the following arguments are required: --through"),
        (["run", "--data", "x", "--through", "2026-02-30"], "not a date (YYYY-MM-DD)"),
        (
            ["run", "--data", "x", "--through", "2026-02-01", "--payments", "cash"],
            "invalid choice: 'cash'",
        ),
    ],
)
def test_usage_errors_exit_2(args, fragment):
    result = call(*args)
    assert result.returncode == 2 and fragment in result.stderr


def test_a_missing_input_folder_exits_2(tmp_path):
    result = call(*run_args(tmp_path / "nope", tmp_path / "wh.duckdb"))
    assert result.returncode == 2 and "input folder does not exist" in result.stderr


def test_any_other_failure_exits_1_with_one_line(make_inputs, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = call(*run_args(make_inputs(), blocker / "wh.duckdb"))
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("fiberbill: failed:")


def test_help_explains_every_option():
    result = call("run", "--help")
    assert result.returncode == 0
    for option in ("--data", "--through", "--warehouse", "--exports", "--strict", "--payments"):
        assert option in result.stdout


def test_the_summary_says_in_money_what_the_call_did_even_into_a_pipe(tmp_path):
    """Jan 10: 99.00 + 22/31 x 60 = 141.58, paid by hand Jan 20. Feb 1: 60.00, unpaid,
    late on Feb 23 (due Feb 15 + 7 grace days) with its 5.00 fee on an invoice of its own."""
    payment = {
        "payment_id": "P1",
        "invoice_number": "INV-2026-000001",
        "amount": "141.58",
        "currency": "EUR",
        "received_at": "2026-01-20",
        "method": "bank_transfer",
    }
    folder = write_tables(tmp_path / "data", MINIMAL | {"payments": [payment]})
    exports = tmp_path / "exports"
    result = call(*run_args(folder, tmp_path / "wh.duckdb", through="2026-02-28", exports=exports))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()  # written to a pipe, not a terminal
    assert (
        "EUR: invoiced 206.58 (3 invoice(s)), credited 0.00 (0 credit note(s)), collected "
        "through Stripe 0.00, received manually 141.58; late now: 1 invoice(s) owing 60.00"
    ) in lines
    assert f"documents: 3 rendered (PDF and HTML) under {exports / 'documents'}" in lines
    assert "collection: off (--payments none): nothing was charged or refunded" in lines
    assert "e-mail: off (no [email] in settings.toml): no document was sent" in lines
