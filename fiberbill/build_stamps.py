"""Skip a dbt build whose result the warehouse already holds.

What a build writes depends only on the dbt project, the dbt vars, the dbt target and the
rows of the schemas it reads. `raw` and `ledger` are append-only (a load that adds nothing
leaves no trace; nothing issued is ever edited), so their row counts tell whether anything
was added since. After a successful call the runner records a stamp of all that per build
(`ops.dbt_build_stamps`); the next call skips a build whose stamp is unchanged:
- `inputs`: the derive build's models that do not read var `through` (staging and most
  intermediate models, with their data tests), stamped without `through`;
- `derive`: the whole build before the ledger; when only the run day changed, only
  `fiberbill.dbt.AS_OF_RUN_DAY` (the models tagged `as_of_run_day` and what is built from them)
  is rebuilt;
- `marts`: the build after the ledger, which also reads the ledger.
- `views`: the staging views. A view is only SQL over its table, so it is as of the
  project and the target alone: while they and the set of views in the warehouse are
  unchanged, both builds leave the views be (their data tests still run), which saves a
  third of the dbt work of a call.
A call with the same files and nothing new to bill therefore does no dbt work at all, and a
call that only bills new days rebuilds a dozen nodes before the ledger instead of all.

Any other dbt build (an admin command, a Dagster asset, a full refresh) goes through
`fiberbill.dbt.run_dbt`, which forgets every stamp first: a skip is only ever taken on exactly
what the last `fiberbill run` built. DECISIONLOG 66.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from pathlib import Path

import duckdb

from fiberbill.dbt import DBT_PROJECT_DIR, project_fingerprint
from ingest.loader import fetch

TABLE = "ops.dbt_build_stamps"
# What each build of a call reads, besides the project and the vars.
# (both builds before the ledger, with and without the run day, read the input tables)
DERIVE_READS = ("raw",)
MARTS_READS = ("raw", "ledger")
# tables of those schemas no dbt model reads: written after the marts, they change nothing
# a build makes (the documents' record, fiberbill/documents)
UNREAD = ("ledger.documents", "ledger.document_deliveries")
# vars no model outside fiberbill.dbt.AS_OF_RUN_DAY reads (tests/unit/test_build_stamps.py)
RUN_DAY_VARS = ("through",)


def without_run_day(dbt_vars: dict) -> dict:
    return {name: value for name, value in dbt_vars.items() if name not in RUN_DAY_VARS}


_DIGESTS: dict[tuple, str] = {}


def project_digest() -> str:
    """sha256 of the dbt project's files (paths relative to it, and contents), with the
    versions of dbt and DuckDB: a changed model or macro, or an upgrade, rebuilds."""
    fingerprint = project_fingerprint()
    if fingerprint not in _DIGESTS:
        # the installed distribution's version, read without importing dbt (a second)
        dbt_version = importlib.metadata.version("dbt-core")
        digest = hashlib.sha256(f"dbt {dbt_version} duckdb {duckdb.__version__}".encode())
        for name, _size, _mtime in fingerprint:
            path = Path(name)
            digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
        _DIGESTS.clear()
        _DIGESTS[fingerprint] = digest.hexdigest()
    return _DIGESTS[fingerprint]


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    fetch(con, "create schema if not exists ops")
    fetch(
        con,
        f"create table if not exists {TABLE} "
        "(build VARCHAR PRIMARY KEY, stamp VARCHAR, recorded_at TIMESTAMPTZ)",
    )


def stamp(con: duckdb.DuckDBPyConnection, dbt_vars: dict, schemas: tuple[str, ...]) -> str:
    """The stamp of a build on this warehouse now: project, target, vars, and the row count
    of every table in `schemas`."""
    tables = fetch(
        con,
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name in "
        "(select unnest(?)) order by all",
        [list(schemas)],
    )
    counts = {
        f"{schema}.{table}": fetch(con, f'select count(*) from {schema}."{table}"')[0][0]
        for schema, table in tables
        if f"{schema}.{table}" not in UNREAD
    }
    return _digest(vars=dbt_vars, rows=counts)


def views_stamp(con: duckdb.DuckDBPyConnection) -> str:
    """The stamp of the warehouse's views: project, target, and which views exist."""
    views = fetch(
        con,
        "select schema_name, view_name from duckdb_views() "
        "where database_name = current_database() and not internal order by all",
    )
    return _digest(views=views)


def _digest(**state) -> str:
    """sha256 of `state` with the project and the dbt target."""
    state |= {
        "project": project_digest(),
        "target": os.environ.get("FIBERBILL_DBT_TARGET", "duckdb"),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


def is_current(con: duckdb.DuckDBPyConnection, build: str, value: str) -> bool:
    """Whether `build` was last made, by a successful call, from exactly this state."""
    ensure_table(con)
    return (
        fetch(con, f"select count(*) from {TABLE} where build = ? and stamp = ?", [build, value])[
            0
        ][0]
        == 1
    )


def record(con: duckdb.DuckDBPyConnection, stamps: dict[str, str]) -> None:
    ensure_table(con)
    for build, value in stamps.items():
        fetch(con, f"delete from {TABLE} where build = ?", [build])
        fetch(con, f"insert into {TABLE} values (?, ?, now())", [build, value])


def forget(warehouse: Path) -> None:
    """Drop every stamp: the builds about to run make the recorded ones untrue."""
    if not Path(warehouse).exists():
        return
    con = duckdb.connect(str(warehouse))
    try:
        exists = fetch(
            con,
            "select count(*) from duckdb_tables() "
            "where schema_name = 'ops' and table_name = 'dbt_build_stamps'",
        )[0][0]
        if exists:
            fetch(con, f"delete from {TABLE}")
    finally:
        con.close()


def drop(con: duckdb.DuckDBPyConnection, build: str) -> None:
    """Forget the stamp of one build: the next call rebuilds it."""
    ensure_table(con)
    fetch(con, f"delete from {TABLE} where build = ?", [build])
