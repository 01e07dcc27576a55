"""One writer at a time (fiberbill/locking.py): a second writing command fails at
once naming the holder, readers keep working, and leftovers of a killed writer go."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from fiberbill import run as runner
from fiberbill.cli import main
from fiberbill.locking import WarehouseBusy, lock_path, writer_lock
from tests.support.inputs import REPO, run_args

FIBERBILL = str(Path(sys.executable).with_name("fiberbill"))

HOLDER = """
import sys, time
import duckdb
from fiberbill.locking import writer_lock
with writer_lock(sys.argv[1], command="fiberbill run --data demo"):
    # as a run does: the warehouse open for writing, which keeps every other process out
    con = duckdb.connect(sys.argv[1]) if sys.argv[2:] == ["open"] else None
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path):
    """Another process holding the writer lock of tmp_path/wh.duckdb."""
    warehouse = tmp_path / "wh.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait()


def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path, make_inputs, holder):
    folder = make_inputs()
    warehouse = tmp_path / "wh.duckdb"
    started = time.monotonic()
    done = subprocess.run(
        [FIBERBILL, *run_args(folder, warehouse)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "\n" not in line
    assert f"pid {holder.pid} (fiberbill run --data demo, started 20" in line
    assert time.monotonic() - started < 20  # at once: no waiting for the holder
    assert not warehouse.exists()


def test_readers_keep_working_while_a_writer_holds_the_lock(tmp_path, make_inputs, capsys):
    folder = make_inputs()
    warehouse = tmp_path / "wh.duckdb"
    assert main(run_args(folder, warehouse)) == 0
    capsys.readouterr()
    listed = {
        what: (
            main([what, "list", "--warehouse", str(warehouse), "--format", "csv"]),
            capsys.readouterr().out,
        )
        for what in ("invoices", "customers")
    }
    assert "INV-2026-000001" in listed["invoices"][1]
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse), "open"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        capsys.readouterr()
        # the lists answer from what the last call published, the same as before the run
        for what, before in listed.items():
            assert main([what, "list", "--warehouse", str(warehouse), "--format", "csv"]) == 0
            assert (0, capsys.readouterr().out) == before
        # a reader of the warehouse itself says why it cannot, in one line
        assert main(["report", "--warehouse", str(warehouse), "--out", str(tmp_path / "r")]) == 1
        err = capsys.readouterr().err.strip()
        assert "another process is writing it (a billing run)" in err and "\n" not in err
        # a write-off while the run holds the lock fails instead of being lost later
        code = main(
            [
                "invoices",
                "write-off",
                "INV-2026-000001",
                "--reason",
                "test",
                "--warehouse",
                str(warehouse),
            ]
        )
        assert code == 1
    finally:
        proc.kill()
        proc.wait()
    # the lock went with the process that held it: writing works again
    assert (
        main(
            [
                "invoices",
                "write-off",
                "INV-2026-000001",
                "--reason",
                "test",
                "--warehouse",
                str(warehouse),
            ]
        )
        == 0
    )


def test_the_lock_is_reentrant_within_a_process_and_exclusive_across(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with writer_lock(warehouse), writer_lock(warehouse):
        assert "pid" in lock_path(warehouse).read_text()
    with writer_lock(warehouse):
        pass


def test_a_call_works_in_place_and_removes_copies_older_versions_left(
    tmp_path, make_inputs, monkeypatch
):
    folder = make_inputs()
    warehouse = tmp_path / "wh.duckdb"
    leftovers = [tmp_path / "wh.duckdb.tmp-999999", tmp_path / "wh.duckdb.tmp-999999.wal"]
    for path in leftovers:
        path.write_bytes(b"left by a killed run")
    seen = []
    bill_days = runner.bill_days

    def looking(con, *args, **kwargs):  # what is beside the warehouse while a day is issued
        seen.extend(sorted(p.name for p in tmp_path.iterdir() if p.is_file()))
        return bill_days(con, *args, **kwargs)

    monkeypatch.setattr(runner, "bill_days", looking)
    assert main(run_args(folder, warehouse)) == 0
    assert [p for p in leftovers if p.exists()] == []
    # no copy of the warehouse: the call's record and the lock are all it adds
    assert seen == ["wh.duckdb", "wh.duckdb.call.json", "wh.duckdb.lock"]
    assert not (tmp_path / "wh.duckdb.call.json").exists()
    assert warehouse.exists()
    # dbt's logs went beside the warehouse, not into the repository
    assert (tmp_path / "wh.duckdb.logs" / "dbt.log").exists()


def test_warehouse_busy_is_raised_in_process_too(tmp_path, holder):
    with pytest.raises(WarehouseBusy, match=f"pid {holder.pid}"):
        with writer_lock(tmp_path / "wh.duckdb"):
            pass
