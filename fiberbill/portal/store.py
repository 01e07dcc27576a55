"""The customer portal's own store: a SQLite file beside the warehouse
(`<warehouse>.portal.sqlite`), written in transactions.

The portal never writes the warehouse. Every change a customer makes is appended here with
who, what, when, the old and the new value and the client IP (`changes`); the next
`fiberbill run` reads the rows it has not seen as the input tables `preference_changes` and
`payment_method_changes` (file `portal`, row number = the change's sequence number), under
the same bad-input rules as every input. SQLite in WAL mode lets the portal write while a
run reads, across processes, which a DuckDB file would not (one writer process per file).

The store also keeps what the web layer needs: redeemed links (a link works once), link
redemptions per client (rate limiting), sessions, the Stripe customers and methods the
portal linked, and "pay now" attempts. No Dagster import.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

# the file name rows from the portal carry in raw.* and marts.rejected_rows
PORTAL_FILE = "portal"
TOUCH_SECONDS = 60  # a session's last_seen is written at most this often
SCHEMA = Path(__file__).with_name("store.ddl")  # SQLite DDL (not DuckDB: not linted)
CHANGE_TABLES = ("preference_changes", "payment_method_changes")
# the columns of each input table the store fills (ingest/schema.py)
CHANGE_COLUMNS = {
    "preference_changes": (
        "change_id",
        "customer_id",
        "field",
        "new_value",
        "recorded_at",
        "old_value",
        "source",
        "client_ip",
    ),
    "payment_method_changes": (
        "change_id",
        "customer_id",
        "payment_method_id",
        "action",
        "recorded_at",
        "type",
        "stripe_payment_method_id",
        "last4",
        "source",
        "client_ip",
    ),
}


def store_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.portal.sqlite")


def pay_lock_path(warehouse: Path) -> Path:
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.portal-pay.lock")


@contextlib.contextmanager
def pay_lock(warehouse: Path) -> Iterator[None]:
    """Held by "pay now" for a whole attempt, and by a run while it copies the portal's
    attempts into its journal (both wait for each other; neither holds it for long)."""
    path = pay_lock_path(warehouse)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class LinkRefused(Exception):
    """A link that is forged, expired or already used."""


@dataclass(frozen=True)
class Session:
    customer_id: str
    csrf_token: str


class Store:
    """One portal store. Every method opens its own connection, so one Store serves many
    threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()  # one connection per thread, kept open
        with self._connect() as con:
            con.executescript(SCHEMA.read_text(encoding="utf-8"))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            con.execute("pragma journal_mode = wal")
            con.execute("pragma synchronous = full")
            self._local.con = con
        con.row_factory = None
        yield con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once: concurrent writers queue, never deadlock)."""
        with self._connect() as con:
            con.execute("begin immediate")
            try:
                yield con
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")

    def rows(self, query: str, params=()) -> list[tuple]:
        with self._connect() as con:
            return con.execute(query, params).fetchall()

    # -- links and sessions -----------------------------------------------------------------

    def redeem(self, nonce: str, customer_id: str, client_ip: str | None) -> None:
        """Use a link's nonce once; raises LinkRefused if it was used before."""
        try:
            with self.transaction() as con:
                con.execute(
                    "insert into used_links values (?, ?, ?, ?)",
                    (nonce, customer_id, now_text(), client_ip),
                )
        except sqlite3.IntegrityError:
            raise LinkRefused("this link was used already") from None

    def allow_redemption(self, client_ip: str, limit: int, window_seconds: float) -> bool:
        """Count a link redemption by `client_ip`; False when it made more than `limit`
        within the window."""
        now = time.time()
        with self.transaction() as con:
            con.execute("delete from redemptions where at < ?", (now - window_seconds,))
            (recent,) = con.execute(
                "select count(*) from redemptions where client_ip = ?", (client_ip,)
            ).fetchone()
            con.execute("insert into redemptions values (?, ?, 0)", (client_ip, now))
        return recent < limit

    def new_session(self, customer_id: str) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = time.time()
        with self.transaction() as con:
            con.execute(
                "insert into sessions values (?, ?, ?, ?, ?, 0)",
                (_hash(session_id), customer_id, csrf, now, now),
            )
        return session_id, Session(customer_id, csrf)

    def session(self, session_id: str, idle_seconds: float, max_seconds: float) -> Session | None:
        """The live session of `session_id`, touched; None if unknown, ended or expired."""
        now = time.time()
        with self._connect() as con:
            found = con.execute(
                "select customer_id, csrf_token, created_at, last_seen from sessions "
                "where id_hash = ? and ended = 0",
                (_hash(session_id),),
            ).fetchone()
            if found is None:
                return None
            customer, csrf, created, seen = found
            if now - seen > idle_seconds or now - created > max_seconds:
                con.execute("update sessions set ended = 1 where id_hash = ?", (_hash(session_id),))
                return None
            # idle time is kept to the minute: most requests write nothing
            if now - seen > min(TOUCH_SECONDS, idle_seconds / 2):
                con.execute(
                    "update sessions set last_seen = ? where id_hash = ?",
                    (now, _hash(session_id)),
                )
        return Session(customer, csrf)

    def end_session(self, session_id: str) -> None:
        with self.transaction() as con:
            con.execute("update sessions set ended = 1 where id_hash = ?", (_hash(session_id),))

    # -- changes ----------------------------------------------------------------------------

    def record_preference(
        self, customer_id: str, field: str, old: str | None, new: str, client_ip: str | None
    ) -> str:
        change_id = f"P-{uuid.uuid4().hex[:20]}"
        with self.transaction() as con:
            con.execute(
                "insert into changes (change_table, change_id, customer_id, field, old_value, "
                "new_value, recorded_at, client_ip) values ('preference_changes', ?, ?, ?, ?, "
                "?, ?, ?)",
                (change_id, customer_id, field, old, new, now_text(), client_ip),
            )
        return change_id

    def record_method_change(
        self,
        customer_id: str,
        payment_method_id: str,
        action: str,
        client_ip: str | None,
        method_type: str | None = None,
        stripe_payment_method_id: str | None = None,
        last4: str | None = None,
    ) -> str:
        change_id = f"P-{uuid.uuid4().hex[:20]}"
        with self.transaction() as con:
            con.execute(
                "insert into changes (change_table, change_id, customer_id, payment_method_id, "
                "action, type, stripe_payment_method_id, last4, recorded_at, client_ip) "
                "values ('payment_method_changes', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    change_id,
                    customer_id,
                    payment_method_id,
                    action,
                    method_type,
                    stripe_payment_method_id,
                    last4,
                    now_text(),
                    client_ip,
                ),
            )
        return change_id

    def changes_of(self, customer_id: str, after_seq: int) -> list[dict]:
        """A customer's changes recorded after `after_seq` (those the published snapshot
        does not show yet), oldest first."""
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            found = con.execute(
                "select * from changes where customer_id = ? and seq > ? order by seq",
                (customer_id, after_seq),
            ).fetchall()
        return [dict(row) for row in found]

    # -- Stripe -----------------------------------------------------------------------------

    def stripe_customer(self, customer_id: str) -> str | None:
        found = self.rows(
            "select stripe_customer_id from stripe_links where customer_id = ? "
            "and step = 'customer_created' order by seq limit 1",
            (customer_id,),
        )
        return found[0][0] if found else None

    def link_stripe(
        self, customer_id: str, step: str, stripe_customer: str, stripe_method: str | None = None
    ) -> None:
        with self.transaction() as con:
            con.execute(
                "insert into stripe_links (customer_id, step, stripe_customer_id, "
                "stripe_payment_method_id, recorded_at) values (?, ?, ?, ?, ?)",
                (customer_id, step, stripe_customer, stripe_method, now_text()),
            )


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def read_changes(path: Path, table: str, after_seq: int) -> pl.DataFrame | None:
    """The store's rows of input table `table` recorded after `after_seq`, as the loader
    reads a file: every value text, `_file` = `portal`, `_row_number` = the sequence
    number. None when there is nothing new (or no store)."""
    if not Path(path).exists():
        return None
    columns = CHANGE_COLUMNS[table]
    selected = ", ".join("'portal'" if c == "source" else c for c in columns)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        found = con.execute(
            f"select {selected}, seq from changes where change_table = ? and seq > ? order by seq",
            (table, after_seq),
        ).fetchall()
    except sqlite3.OperationalError:  # a store from before this table existed
        return None
    finally:
        con.close()
    if not found:
        return None
    data = {c: [row[i] for row in found] for i, c in enumerate(columns)}
    data["_file"] = [PORTAL_FILE] * len(found)
    data["_row_number"] = [row[-1] for row in found]
    data["_field_count_error"] = [None] * len(found)
    schema = {c: pl.String for c in columns}
    schema.update({"_file": pl.String, "_row_number": pl.Int64, "_field_count_error": pl.String})
    return pl.DataFrame(data, schema=schema)


# What a billing run copies into its Stripe journal (fiberbill/collection/sql/15_portal.sql),
# as temp table -> (store table, columns)
JOURNAL_ROWS = {
    "_portal_attempts": (
        "pay_attempts",
        (
            "seq",
            "attempt_key",
            "invoice_number",
            "customer_id",
            "currency",
            "invoice_created_date",
            "amount_cents",
            "method",
            "stripe_payment_method_id",
            "stripe_customer_id",
            "recorded_at",
        ),
    ),
    "_portal_events": (
        "pay_events",
        ("seq", "attempt_key", "payment_intent_id", "status", "failure_reason", "recorded_at"),
    ),
    "_portal_links": (
        "stripe_links",
        (
            "seq",
            "customer_id",
            "step",
            "stripe_customer_id",
            "stripe_payment_method_id",
            "recorded_at",
        ),
    ),
}


def read_journal_rows(
    path: Path, attempt_seq: int, event_seq: int, link_seq: int
) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """The store's pay attempts, pay events and Stripe links after the given sequence
    numbers: temp table name -> (columns, rows)."""
    after = {
        "_portal_attempts": attempt_seq,
        "_portal_events": event_seq,
        "_portal_links": link_seq,
    }
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return {
            name: (
                columns,
                con.execute(
                    f"select {', '.join(columns)} from {table} where seq > ? order by seq",
                    (after[name],),
                ).fetchall(),
            )
            for name, (table, columns) in JOURNAL_ROWS.items()
        }
    finally:
        con.close()
