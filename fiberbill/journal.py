"""All or nothing without a copy: a call works in the warehouse itself, and records what it
is doing so that a failure, or a crash, is undone (DECISIONLOG 101).

The facts a call writes are append-only: `raw` (what was loaded), `ledger` (what was
issued and collected) and `ops.runs` never have a row updated or deleted, whatever the
call. Everything else in the warehouse is derived from them by dbt, or is a record of
builds (ops.dbt_build_stamps, ops.settings). So a call is undone by cutting every
append-only table back to the rows it had when the call began, and rebuilding what is
derived from them.

Before its first write a call writes `<warehouse>.call.json`: its id, its command, and the
row count of every append-only table. Each step is marked started and done in it. On
success the call's last transaction records it as finished (`ops.calls`) and the file is
removed. On a failure the call undoes itself before it raises; after a crash (the file is
still there, and `ops.calls` does not name it finished) the next call, under the writer
lock, undoes it first. DuckDB keeps a table's rows in the order they were appended
(rowid), through deletes and checkpoints, so the rows beyond the recorded count are
exactly the call's.

Steps that are one transaction (the load; an admin command's ledger change) need no
derived rebuild when they fail: their rollback left nothing. Each run day's issue is one
transaction too, so a day is never half-issued. No Dagster import.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from fiberbill import build_stamps
from ingest.loader import connect, fetch, q

APPEND_ONLY_SCHEMAS = ("raw", "ledger", "ops")
# tables of those schemas that are records of builds or of calls, not facts
NOT_APPEND_ONLY = ("ops.settings", build_stamps.TABLE, "ops.calls")
# steps that are one transaction: when they fail, nothing derived was rebuilt
ONE_TRANSACTION = ("load", "ledger")


def record_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.call.json")


@dataclass
class CallRecord:
    call_id: str
    command: str
    started_at: str
    new_warehouse: bool
    counts: dict[str, int]
    started: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)

    def save(self, warehouse: Path) -> None:
        """Write the record beside the warehouse, atomically (write, fsync, rename)."""
        path = record_path(warehouse)
        work = path.with_name(f"{path.name}.{os.getpid()}")
        with open(work, "w", encoding="utf-8") as out:
            json.dump(asdict(self), out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(work, path)

    @property
    def may_have_rebuilt(self) -> bool:
        """Whether a step that rebuilds derived tables in place (dbt) may have run."""
        return any(step not in ONE_TRANSACTION for step in self.started)


def read_record(warehouse: Path) -> CallRecord | None:
    path = record_path(warehouse)
    if not path.exists():
        return None
    return CallRecord(**json.loads(path.read_text(encoding="utf-8")))


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The row count of every append-only table of the warehouse."""
    tables = fetch(
        con,
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name in (select unnest(?)) "
        "order by all",
        [list(APPEND_ONLY_SCHEMAS)],
    )
    names = [f"{s}.{t}" for s, t in tables if f"{s}.{t}" not in NOT_APPEND_ONLY]
    if not names:
        return {}
    counts = " union all ".join(
        f"select '{name}', count(*) from {'.'.join(q(p) for p in name.split('.'))}"
        for name in names
    )
    return dict(fetch(con, counts))


def cut_back(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> int:
    """Delete every row appended to an append-only table since it had `counts` rows (a
    table not named had none). Returns the rows deleted."""
    deleted = 0
    for name, now in row_counts(con).items():
        keep = counts.get(name, 0)
        if now < keep:
            raise RuntimeError(
                f"{name} has {now} rows, fewer than the {keep} it had when the call began: "
                "an append-only table lost rows; restore the warehouse from a backup"
            )
        if now > keep:
            table = ".".join(q(p) for p in name.split("."))
            deleted += fetch(
                con,
                f"delete from {table} where rowid in "
                f"(select rowid from {table} order by rowid offset {int(keep)})",
            )[0][0]
    return deleted


def ensure_calls(con: duckdb.DuckDBPyConnection) -> None:
    fetch(con, "create schema if not exists ops")
    fetch(
        con,
        "create table if not exists ops.calls (call_id VARCHAR, command VARCHAR, "
        "started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, state VARCHAR, steps VARCHAR, "
        "rows_undone BIGINT)",
    )


def _ended(con, record: CallRecord, state: str, rows_undone: int = 0) -> None:
    ensure_calls(con)
    fetch(
        con,
        "insert into ops.calls values (?, ?, ?, now(), ?, ?, ?)",
        [
            record.call_id,
            record.command,
            record.started_at,
            state,
            str(record.started),
            rows_undone,
        ],
    )


def _state(con, call_id: str) -> str | None:
    exists = fetch(
        con,
        "select count(*) from duckdb_tables() where schema_name = 'ops' "
        "and table_name = 'calls' and database_name = current_database()",
    )[0][0]
    if not exists:
        return None
    found = fetch(con, "select state from ops.calls where call_id = ?", [call_id])
    return found[0][0] if found else None


def finished(con: duckdb.DuckDBPyConnection, record: CallRecord) -> None:
    """Record the call as finished, in its last transaction: from then on it is never
    undone, even if the process dies before it removes its record. A call that wrote no
    fact leaves no row."""
    if row_counts(con) != record.counts:
        _ended(con, record, "finished")


def undo(warehouse: Path, record: CallRecord, rebuild: Callable[[Path], None]) -> None:
    """Undo the call `record` names, unless it finished; then remove the record."""
    warehouse = Path(warehouse).resolve()
    if record.new_warehouse:
        for path in (warehouse, Path(f"{warehouse}.wal")):
            path.unlink(missing_ok=True)
        record_path(warehouse).unlink(missing_ok=True)
        return
    con = connect(warehouse)
    try:
        if _state(con, record.call_id) == "finished":
            rebuilt = True
        else:
            rebuilt = not record.may_have_rebuilt
            if row_counts(con) != record.counts or record.may_have_rebuilt:
                fetch(con, "begin transaction")
                rows = cut_back(con, record.counts)
                build_stamps.ensure_table(con)
                fetch(con, f"delete from {build_stamps.TABLE}")
                if _state(con, record.call_id) is None:
                    _ended(con, record, "undone", rows)
                fetch(con, "commit")
                fetch(con, "checkpoint")
    finally:
        con.close()
    if not rebuilt:
        rebuild(warehouse)
    record_path(warehouse).unlink(missing_ok=True)


def undo_unfinished(warehouse: Path, rebuild: Callable[[Path], None]) -> bool:
    """Undo the call a crash left unfinished, if any. Call under the writer lock."""
    record = read_record(warehouse)
    if record is None:
        return False
    undo(warehouse, record, rebuild)
    return True


def begin(warehouse: Path, command: str) -> CallRecord:
    """Record a call about to write the warehouse (a new one is made here)."""
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    record = CallRecord(
        call_id=uuid.uuid4().hex,
        command=command,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        new_warehouse=not warehouse.exists(),
        counts={},
    )
    if record.new_warehouse:
        record.save(warehouse)  # before the file exists: a crash from here removes it
    con = connect(warehouse, read_only=not record.new_warehouse)  # not DuckDB: exit 2
    try:
        record.counts = row_counts(con)
    finally:
        con.close()
    record.save(warehouse)
    return record


@contextlib.contextmanager
def step(warehouse: Path, record: CallRecord, name: str) -> Iterator[None]:
    """Mark step `name` started in the record before it runs, and done after."""
    record.started.append(name)
    record.save(warehouse)
    yield
    record.done.append(name)
    record.save(warehouse)


@contextlib.contextmanager
def atomic(warehouse: Path, command: str, rebuild: Callable[[Path], None]) -> Iterator[CallRecord]:
    """A call, all or nothing: undo any call a crash left unfinished, record this one, and
    undo it if it raises. Call under the writer lock; `rebuild(warehouse)` rebuilds the
    derived tables from the facts."""
    warehouse = Path(warehouse).resolve()
    undo_unfinished(warehouse, rebuild)
    record = begin(warehouse, command)
    try:
        yield record
    except BaseException:
        undo(warehouse, record, rebuild)
        raise
    record_path(warehouse).unlink(missing_ok=True)
