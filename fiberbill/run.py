"""One `fiberbill run`: load the input folder, build the models, record the call.

The CLI and the Dagster assets call these same functions. No Dagster import here.

Atomicity: the whole call works on a copy of the warehouse and replaces the original only
when everything succeeded. A bad input, a failed dbt test or a crash leaves the warehouse
exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from exports.wholesale import export_specs
from fiberbill import build_stamps, ledger
from fiberbill.collection.collector import (
    Collector,
    inbox_path,
    journal_path,
    mirror,
    unmirrored_days,
)
from fiberbill.collection.gateway import StripeGateway
from fiberbill.dbt import AS_OF_RUN_DAY, LEDGER_MARTS, run_dbt
from fiberbill.locking import writer_lock
from ingest.errors import InputError, StrictModeError
from ingest.loader import LoadReport, connect, fetch, load_all, loaded_files, read_inputs
from ingest.settings import Settings, load_settings, parse_settings

DEFAULT_WAREHOUSE = Path("fiberbill.duckdb")
DEFAULT_EXPORTS = Path("fiberbill-exports")
MART_TABLES = ("invoices", "invoice_lines", "credit_notes", "wholesale_specs", "rejected_rows")
ASSURANCE_FINDINGS = ("active_without_order", "billed_while_down", "up_before_activation")


@dataclass
class RunResult:
    load: LoadReport
    settings: Settings
    through: date
    first_day: date | None
    mart_counts: dict[str, int] = field(default_factory=dict)
    issued: dict[str, int] = field(default_factory=dict)
    # revenue assurance: finding -> (findings, days)
    assurance: dict[str, tuple[int, int]] = field(default_factory=dict)


@contextlib.contextmanager
def staged_warehouse(warehouse: Path) -> Iterator[Path]:
    """Yield a private copy of the warehouse; it replaces the original only on success.
    Holds the warehouse's writer lock throughout (fiberbill/locking.py)."""
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(warehouse):
        yield from _staged(warehouse)


def _staged(warehouse: Path) -> Iterator[Path]:
    work = warehouse.with_name(f"{warehouse.name}.tmp-{os.getpid()}")
    for leftover in (work, Path(f"{work}.wal")):
        leftover.unlink(missing_ok=True)
    if warehouse.exists():
        shutil.copyfile(warehouse, work)
        wal = Path(f"{warehouse}.wal")
        if wal.exists():
            shutil.copyfile(wal, f"{work}.wal")
    try:
        yield work
    except BaseException:
        for leftover in (work, Path(f"{work}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    if Path(f"{work}.wal").exists():  # callers checkpoint; this is a safety net
        os.replace(f"{work}.wal", f"{warehouse}.wal")
    else:
        Path(f"{warehouse}.wal").unlink(missing_ok=True)
    os.replace(work, warehouse)


def ensure_ops_schema(con: duckdb.DuckDBPyConnection) -> None:
    fetch(con, "create schema if not exists ops")
    fetch(
        con,
        """
        create table if not exists ops.runs (
            run_id INTEGER, batch_id INTEGER, through_date DATE, finished_at TIMESTAMPTZ,
            strict BOOLEAN, payments VARCHAR
        )
        """,
    )


def save_run_settings(con: duckdb.DuckDBPyConnection, settings: Settings, dbt_vars: dict) -> None:
    """Keep the settings of the last run, for commands that work without an input folder."""
    fetch(
        con,
        "create or replace table ops.settings as "
        "select ?::varchar as settings_json, ?::varchar as dbt_vars_json",
        [json.dumps(settings.as_dbt_vars()), json.dumps(dbt_vars)],
    )


def read_run_settings(con: duckdb.DuckDBPyConnection) -> tuple[Settings, dict]:
    """The settings and dbt vars of the last run on this warehouse."""
    exists = fetch(
        con,
        "select count(*) from information_schema.tables "
        "where table_schema = 'ops' and table_name = 'settings'",
    )[0][0]
    if not exists:
        raise InputError("the warehouse has no billing run yet (run fiberbill run first)")
    settings_json, vars_json = fetch(con, "select * from ops.settings")[0]
    return parse_settings(json.loads(settings_json)), json.loads(vars_json)


def first_run_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The first day the next run will bill: the day after the last run day done."""
    previous = ledger.last_run_day(con)
    return previous + timedelta(days=1) if previous else None


def load_inputs(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    settings: Settings,
    progress: Callable[[str], None] = lambda message: None,
) -> tuple[LoadReport, date | None]:
    """Append the input folder's new files to `raw`. Returns the report and the last run
    day before this call (rows loaded now count as recorded on the day after it)."""
    previous = ledger.last_run_day(con)
    progress(f"reading {data_dir}")
    inputs = read_inputs(data_dir, loaded_files(con))
    report = load_all(
        con,
        inputs,
        settings,
        str(data_dir),
        first_run_day(con),
        progress=lambda table, rows: progress(f"loading {table}: {rows:,} rows"),
    )
    return report, previous


# The settings the dbt models read (dbt_project.yml declares their defaults); the ledger
# and the collector read the others from Settings themselves.
DBT_SETTINGS = ("timezone", "refund_unused_days")


def model_vars(settings: Settings, through: date, previous: date | None) -> dict:
    """dbt vars of a call: the settings the models read, and the last run day it leaves
    behind (a call through an earlier day than one already run changes nothing and keeps
    that day)."""
    values = settings.as_dbt_vars()
    return {name: values[name] for name in DBT_SETTINGS} | {
        "through": max(through, previous or through).isoformat()
    }


def record_run(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    dbt_vars: dict,
    batch_id: int | None,
    strict: bool,
    payments: str,
) -> None:
    """Record a call that loaded or issued something, with its settings (ops schema)."""
    ensure_ops_schema(con)
    save_run_settings(con, settings, dbt_vars)
    run_id = fetch(con, "select coalesce(max(run_id), 0) + 1 from ops.runs")[0][0]
    fetch(
        con,
        "insert into ops.runs values (?, ?, ?, now(), ?, ?)",
        [run_id, batch_id, dbt_vars["through"], strict, payments],
    )


def assurance_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Revenue assurance: finding -> (findings, days), every finding listed."""
    return {f: (0, 0) for f in ASSURANCE_FINDINGS} | {
        finding: (n, days)
        for finding, n, days in fetch(
            con,
            "select finding, count(*), sum(days) from marts.revenue_assurance group by finding",
        )
    }


class CollectionKeyMissing(InputError):
    """--payments stripe without STRIPE_API_KEY: a usage error, before anything is written."""

    def __init__(self):
        super().__init__(
            "--payments stripe needs STRIPE_API_KEY: set it, or pass --payments none to "
            "bill without collecting"
        )


def collection_gateway(
    payments: str, settings: Settings, gateway: StripeGateway | None = None
) -> StripeGateway | None:
    """The Stripe gateway a call collects through, or None with `--payments none`.
    Raises CollectionKeyMissing for `stripe` without a key."""
    if payments != "stripe":
        return None
    if gateway is None:
        if not os.environ.get("STRIPE_API_KEY"):
            raise CollectionKeyMissing()
        gateway = StripeGateway.from_env(settings.stripe_requests_per_second)
    return gateway


def bill_days(
    con: duckdb.DuckDBPyConnection,
    warehouse: Path,
    through: date,
    settings: Settings,
    gateway: StripeGateway | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Every run day through `through`: issue documents, then collect through `gateway`.

    `warehouse` is the real warehouse path (the Stripe journal lives beside it), `con` may
    be open on a staged copy. Without a gateway nothing is sent to Stripe, but whatever the
    journal holds that the ledger does not (money a crashed call collected) is still copied
    into the ledger.
    """
    journal = journal_path(warehouse)
    collector, collect, collect_days = None, None, None
    if gateway is not None:
        collector = Collector(
            con, gateway, journal, inbox_path(warehouse), retry_days=settings.retry_days
        )
        collect = collector.collect
    elif journal.exists():
        fetch(con, "attach if not exists ? as journal (read_only)", [str(journal)])
        collect_days = set(unmirrored_days(con))
        collect = (lambda day: mirror(con, day)) if collect_days else None
    try:
        issued = ledger.run_days(
            con,
            through,
            settings,
            progress=lambda day, last: progress(f"billing run {day} (through {last})"),
            collect=collect,
            collect_days=collect_days,
        )
    finally:
        if collector is not None:
            collector.close()
        elif journal.exists():
            fetch(con, "detach database if exists journal")
    issued["collection"] = "stripe" if collector is not None else "none"
    if collector is not None:
        issued |= {f"stripe_{k}": v for k, v in collector.counts.items()}
    return issued


def _strict_rejections(count: int) -> StrictModeError:
    return StrictModeError(
        f"--strict: marts.rejected_rows has {count} entr{'y' if count == 1 else 'ies'} (for "
        "example payments for unknown invoices); see them by running without --strict"
    )


def strict_preflight(
    work: Path,
    warehouse: Path,
    through: date,
    settings: Settings,
    dbt_vars: dict,
    progress: Callable[[str], None] = lambda message: None,
) -> None:
    """--strict is decided before any money moves: payments are checked against the ledger
    (an invoice number that does not exist on the day a payment arrives), which exists only
    once the days are issued. So a strict call that collects first issues its days on a
    trial copy without Stripe and checks the payments there; any rejection is exit 2
    before the first Stripe call. (The trial cannot know which automatic charges will fail,
    so the final check after collection stays as a guard.)"""
    con = connect(work, read_only=True)
    try:
        has_payments = fetch(con, "select count(*) from staging.stg_inputs__payments")[0][0]
    finally:
        con.close()
    if not has_payments:
        return
    progress("--strict: checking payments against the ledger before collecting")
    trial = work.with_name(f"{work.name}.strict")
    shutil.copyfile(work, trial)
    try:
        con = connect(trial)
        try:
            bill_days(con, warehouse, through, settings, None)
            fetch(con, "checkpoint")
        finally:
            con.close()
        run_dbt("run", trial, dbt_vars, select=["1+int_payments__checked", "rejected_rows"])
        con = connect(trial, read_only=True)
        try:
            rejections = fetch(con, "select count(*) from marts.rejected_rows")[0][0]
        finally:
            con.close()
    finally:
        for leftover in (trial, Path(f"{trial}.wal")):
            leftover.unlink(missing_ok=True)
    if rejections:
        raise _strict_rejections(rejections)


def run(
    data_dir: Path,
    through: date,
    warehouse: Path = DEFAULT_WAREHOUSE,
    exports: Path = DEFAULT_EXPORTS,
    strict: bool = False,
    payments: str = "stripe",
    progress: Callable[[str], None] = lambda message: None,
    gateway: StripeGateway | None = None,
) -> RunResult:
    """Load DIR and build the models on the warehouse, all or nothing."""
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: input folder does not exist")
    settings = load_settings(data_dir)
    gateway = collection_gateway(payments, settings, gateway)
    with writer_lock(warehouse):
        return _run(data_dir, through, warehouse, exports, strict, progress, gateway, settings)


def _run(data_dir, through, warehouse, exports, strict, progress, gateway, settings):
    with staged_warehouse(warehouse) as work:
        con = connect(work)
        try:
            first_day = first_run_day(con)
            report, previous = load_inputs(con, data_dir, settings, progress)
            if strict and (report.rejected or report.warnings):
                raise StrictModeError(
                    f"--strict: {report.rejected} row(s) rejected and {report.warnings} "
                    "warning(s); see the reasons by running without --strict "
                    "(marts.rejected_rows)"
                )
            dbt_vars = model_vars(settings, through, previous)
            inputs_vars = build_stamps.without_run_day(dbt_vars)
            inputs = build_stamps.stamp(con, inputs_vars, build_stamps.DERIVE_READS)
            derive = build_stamps.stamp(con, dbt_vars, build_stamps.DERIVE_READS)
            inputs_are_current = build_stamps.is_current(con, "inputs", inputs)
            derive_is_current = build_stamps.is_current(con, "derive", derive)
            views_are_current = build_stamps.is_current(con, "views", build_stamps.views_stamp(con))
            fetch(con, "checkpoint")
        finally:
            con.close()
        # the views are left be while current; otherwise both builds make theirs again
        derive_is_whole = not derive_is_current and not inputs_are_current
        if derive_is_current:
            progress("charges are derived already (nothing new since the last call)")
        elif inputs_are_current:
            progress("deriving the new run days' charges (dbt; no input changed)")
            run_dbt("build", work, dbt_vars, select=[AS_OF_RUN_DAY], exclude=[LEDGER_MARTS])
        else:
            progress("deriving charges (dbt)")
            run_dbt(
                "build",
                work,
                dbt_vars,
                exclude=[LEDGER_MARTS],
                rebuild_views=not views_are_current,
            )
        if strict and gateway is not None:
            strict_preflight(work, warehouse, through, settings, dbt_vars, progress)
        con = connect(work)
        try:
            issued = bill_days(con, warehouse, through, settings, gateway, progress)
            marts = build_stamps.stamp(con, dbt_vars, build_stamps.MARTS_READS)
            marts_are_current = build_stamps.is_current(con, "marts", marts)
            fetch(con, "checkpoint")
        finally:
            con.close()
        if marts_are_current:
            progress("marts are built already (nothing new since the last call)")
        else:
            progress("building marts (dbt)")
            run_dbt(
                "build",
                work,
                dbt_vars,
                select=[LEDGER_MARTS],
                rebuild_views=not views_are_current,
            )
        con = connect(work)
        try:
            ensure_ops_schema(con)
            # payments are checked against the ledger, so some rejections come only now
            rejections = fetch(con, "select count(*) from marts.rejected_rows")[0][0]
            if strict and rejections:
                raise _strict_rejections(rejections)
            if report.changed or issued["days"]:
                batch_id = report.batch_id if report.changed else None
                record_run(con, settings, dbt_vars, batch_id, strict, issued["collection"])
            stamps = {"inputs": inputs, "derive": derive, "marts": marts}
            # the views are current if they were, or if this call made every one of them
            if views_are_current or (derive_is_whole and not marts_are_current):
                stamps["views"] = build_stamps.views_stamp(con)
            build_stamps.record(con, stamps)
            counts = {t: fetch(con, f"select count(*) from marts.{t}")[0][0] for t in MART_TABLES}
            assurance = assurance_counts(con)
            fetch(con, "checkpoint")
        finally:
            con.close()
    # files after the warehouse: a spec is exported once it is published, and a failed
    # export is retried by the next call (writing what is missing, never overwriting)
    if counts.get("wholesale_specs"):
        progress("exporting wholesale specs")
        issued |= {f"exports_{k}": v for k, v in export_specs(warehouse, exports).items()}
    return RunResult(report, settings, through, first_day, counts, issued, assurance)
