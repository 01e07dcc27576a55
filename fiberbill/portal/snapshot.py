"""The portal's read path: a read-only snapshot of what the last run published.

DuckDB lets one process write a database file and keeps every other process from opening
it meanwhile. So the portal never opens the warehouse: after each successful call that
built the marts, the run copies what the portal shows into a new file of its own
(`<warehouse>.portal-snapshots/<n>.duckdb`, fiberbill/portal/sql/snapshot.sql) and points
the symlink `<warehouse>.portal-snapshot.duckdb` at it, atomically (a rename). The portal
opens the file the link points to, read-only, and notices a new one on the next request;
a request being served keeps reading the file it opened. Each snapshot has a path of its
own because DuckDB shares one database per path within a process: a new file under the
old name would be read as the old one. A billing run holding the writer lock never blocks
the portal. No Dagster import.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from fiberbill.collection.collector import journal_path
from fiberbill.sqlfiles import SqlFiles
from ingest.loader import connect, fetch
from ingest.settings import Operator

SQL = SqlFiles(Path(__file__).with_name("sql"))
KEEP = 3  # snapshots kept on disk (the newest; older ones a request may still be reading)


def snapshot_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.portal-snapshot.duckdb")


# what the snapshot copies (fiberbill/portal/sql/snapshot.sql)
NEEDS = (
    "marts.customers",
    "marts.invoices",
    "marts.invoice_lines",
    "marts.credit_notes",
    "marts.customer_services",
    "marts.customer_next_invoices",
    "ledger.documents",
    "ledger.run_days",
    "intermediate.int_payment_methods__states",
    "intermediate.int_customers__payment_method",
    "raw.preference_changes",
    "raw.payment_method_changes",
)


def publish(warehouse: Path, exports: Path, operator: Operator) -> Path | None:
    """Write the snapshot of `warehouse` (published, not staged) and put it in place.
    Call under the warehouse's writer lock, after the call's steps succeeded. Does nothing
    (returns None) while the warehouse has no marts yet."""
    warehouse = Path(warehouse).resolve()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        missing = set(NEEDS) - {
            f"{schema}.{table}"
            for schema, table in fetch(
                con, "select table_schema, table_name from information_schema.tables"
            )
        }
    if missing:
        return None
    link = snapshot_path(warehouse)
    folder = warehouse.with_name(f"{warehouse.name}.portal-snapshots")
    folder.mkdir(exist_ok=True)
    target = folder / f"{time.time_ns()}.duckdb"
    work = folder / f"tmp-{os.getpid()}.duckdb"
    work.unlink(missing_ok=True)
    con = duckdb.connect(str(work))
    try:
        fetch(con, "attach ? as src (read_only)", [str(warehouse)])
        journal = journal_path(warehouse)
        install_id = None
        if journal.exists():
            fetch(con, "attach ? as j (read_only)", [str(journal)])
            install_id = fetch(con, "select any_value(install_id) from j.meta")[0][0]
            fetch(
                con,
                "create temp table _stripe_customers as select customer_id, "
                "any_value(stripe_customer_id) as stripe_customer_id from j.customer_links "
                "where step = 'customer_created' group by customer_id",
            )
            fetch(con, "detach j")
        else:
            fetch(
                con,
                "create temp table _stripe_customers (customer_id varchar, "
                "stripe_customer_id varchar)",
            )
        SQL.run(
            con,
            "snapshot",
            {
                "install_id": install_id,
                "exports_dir": str(Path(exports).resolve()),
                "operator_name": operator.legal_name,
                "operator_email": operator.email,
            },
        )
        fetch(con, "detach src")
        fetch(con, "checkpoint")
    finally:
        con.close()
    with open(work, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(work, target)
    pointer = link.with_name(f"{link.name}.tmp-{os.getpid()}")
    pointer.unlink(missing_ok=True)
    pointer.symlink_to(target.relative_to(link.parent))
    os.replace(pointer, link)
    for old in sorted(folder.glob("*.duckdb"), key=lambda p: p.stem)[:-KEEP]:
        if old.stem.isdigit():  # a reader may still have it open: unlinking is safe
            old.unlink(missing_ok=True)
    return link


def published_exports(warehouse: Path) -> Path | None:
    """The exports folder the published snapshot names (where its documents are), if any."""
    path = snapshot_path(warehouse)
    if not path.exists():
        return None
    with duckdb.connect(os.path.realpath(path), read_only=True) as con:
        found = fetch(con, "select exports_dir from meta")
    return Path(found[0][0]) if found and found[0][0] else None


@contextlib.contextmanager
def reading(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for the operator's lists: on the published snapshot, which a
    run never holds, when it has the marts they read (fiberbill/portal/sql/snapshot.sql);
    else on the warehouse itself (one published by an earlier version)."""
    target = os.path.realpath(snapshot_path(warehouse))
    if os.path.isfile(target):
        con = duckdb.connect(target, read_only=True)
        try:
            has_marts = fetch(
                con,
                "select count(*) from duckdb_tables() where schema_name = 'marts' "
                "and table_name = 'invoices'",
            )[0][0]
            if has_marts:
                yield con
                return
        finally:
            con.close()
    with connect(warehouse, read_only=True) as con:
        yield con


class Snapshot:
    """Read-only access to the published snapshot for a long-running server: one
    connection per published file, reopened when a newer file is put in place."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._target: str | None = None
        self.meta: dict = {}  # the open snapshot's meta row
        self._open: list[duckdb.DuckDBPyConnection] = []

    def cursor(self) -> duckdb.DuckDBPyConnection | None:
        """A cursor on the newest published snapshot, or None before the first run."""
        target = os.path.realpath(self.path)
        if not os.path.isfile(target):
            return None
        with self._lock:
            if target != self._target or self._con is None:
                self._con = duckdb.connect(target, read_only=True)
                self._target = target
                result = self._con.execute("select * from meta")
                names = [d[0] for d in result.description]
                self.meta = dict(zip(names, result.fetchall()[0], strict=True))
                # a request may still read the one before: close only older ones
                self._open.append(self._con)
                while len(self._open) > 2:
                    self._open.pop(0).close()
            return self._con.cursor()
