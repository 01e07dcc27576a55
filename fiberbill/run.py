"""A call of the engine: a sequence of named steps (STEPS): load, derive, issue (each run
day's invoices and credit notes, then collection), marts, export, documents.

`fiberbill run` executes every step; each Dagster asset executes its own step. Both go
through `execute`, so both get the same atomicity and the same locking: the steps run under
the warehouse's writer lock, in the warehouse itself, as one journaled call
(fiberbill/journal.py): the load is one transaction, each run day's issue is one
transaction, dbt rebuilds the derived tables, and a call that fails is undone before it
raises (a call a crash cut short is undone by the next). A bad input or a --strict failure
leaves the warehouse exactly as it was. Export and documents write files after the call's
facts are committed (documents then record their sha256, one transaction per batch). No
Dagster import here.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from exports.wholesale import export_specs
from fiberbill import build_stamps, journal, ledger, summary
from fiberbill.build_stamps import DERIVE_READS, MARTS_READS
from fiberbill.collection.collector import (
    Collector,
    inbox_path,
    journal_path,
    mirror,
    unmirrored_days,
)
from fiberbill.collection.gateway import StripeGateway
from fiberbill.dbt import AS_OF_RUN_DAY, LEDGER_MARTS, DbtError, run_dbt
from fiberbill.documents import render_documents, render_drafts
from fiberbill.documents.delivery import deliver
from fiberbill.locking import writer_lock
from fiberbill.portal import snapshot as portal_snapshot
from fiberbill.portal.store import CHANGE_TABLES, PORTAL_FILE, read_changes, store_path
from ingest.errors import InputError, StrictModeError
from ingest.loader import (
    LoadReport,
    add_rows,
    connect,
    fetch,
    last_row_loaded,
    load_all,
    loaded_files,
    read_inputs,
    transaction,
)
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
    money: list[dict] = field(default_factory=list)  # per currency (fiberbill/summary)


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
    # what made the call ("fiberbill run", "dagster issue") and its first run day, which
    # Dagster's record of CLI runs reads (dagster_project/defs/automation/cli_runs.py);
    # null on the rows of a warehouse made before they were added
    fetch(con, "alter table ops.runs add column if not exists command VARCHAR")
    fetch(con, "alter table ops.runs add column if not exists first_date DATE")


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
    portal: Path | None = None,
) -> tuple[LoadReport, date | None]:
    """Append the input folder's new files to `raw`, and the changes recorded in the
    customer portal's store `portal` since the last load. Returns the report and the last
    run day before this call (rows loaded now count as recorded on the day after it)."""
    previous = ledger.last_run_day(con)
    progress(f"reading {data_dir}")
    inputs = read_inputs(data_dir, loaded_files(con))
    if portal is not None:
        for table in CHANGE_TABLES:
            after = last_row_loaded(con, table, PORTAL_FILE)
            add_rows(inputs, table, read_changes(portal, table, after))
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
    command: str = "fiberbill run",
    first_date: date | None = None,
) -> None:
    """Record a call that loaded or issued something, with its settings (ops schema): what
    made it and the first and last run days it carried out (none when it issued nothing
    new)."""
    ensure_ops_schema(con)
    save_run_settings(con, settings, dbt_vars)
    run_id = fetch(con, "select coalesce(max(run_id), 0) + 1 from ops.runs")[0][0]
    fetch(
        con,
        "insert into ops.runs by name select ? as run_id, ? as batch_id, "
        "cast(? as date) as through_date, now() as finished_at, ? as strict, ? as payments, "
        "? as command, cast(? as date) as first_date",
        [run_id, batch_id, dbt_vars["through"], strict, payments, command, first_date],
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
    news: bool = True,
) -> dict[str, int]:
    """Every run day through `through`: issue documents, then collect through `gateway`.

    `warehouse` is the warehouse's path (the Stripe journal lives beside it), `con` is open
    on it. Without a gateway nothing is sent to Stripe, but whatever the
    journal holds that the ledger does not (money a crashed call collected) is still copied
    into the ledger.
    """
    stripe_journal = journal_path(warehouse)
    collector, collect, collect_days = None, None, None
    if gateway is not None:
        collector = Collector(
            con,
            gateway,
            stripe_journal,
            inbox_path(warehouse),
            retry_days=settings.retry_days,
            portal_of=Path(warehouse),
        )
        collect = collector.collect
    elif stripe_journal.exists():
        fetch(con, "attach if not exists ? as journal (read_only)", [str(stripe_journal)])
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
            news=news,
        )
    finally:
        if collector is not None:
            collector.close()
        elif stripe_journal.exists():
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


def strict_preflight(call: Call) -> None:
    """--strict is decided before any money moves: payments are checked against the ledger
    (an invoice number that does not exist on the day a payment arrives), which exists only
    once the days are issued. So a strict call that collects first issues its days as a
    trial without Stripe, checks the payments, and cuts the trial's rows back
    (fiberbill/journal.py); any rejection is exit 2 before the first Stripe call. (The trial
    cannot know which automatic charges will fail, so the final check after collection
    stays as a guard.)"""
    with call.connection(read_only=True) as con:
        has_payments = fetch(con, "select count(*) from staging.stg_inputs__payments")[0][0]
    if not has_payments:
        return
    call.progress("--strict: checking payments against the ledger before collecting")
    with call.connection() as con:
        before = journal.row_counts(con)
        try:
            bill_days(con, call.warehouse, call.through, call.settings, None)
        except BaseException:
            _cut_back(con, before)
            raise
    try:
        run_dbt(
            "run",
            call.warehouse,
            call.dbt_vars,
            select=["1+int_payments__checked", "rejected_rows"],
            keep_stamps=True,
        )
        with call.connection(read_only=True) as con:
            rejections = fetch(con, "select count(*) from marts.rejected_rows")[0][0]
    finally:
        with call.connection() as con:
            _cut_back(con, before)
    if rejections:
        raise _strict_rejections(rejections)


def _cut_back(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> None:
    """Undo a trial: its rows, and the marts stamp (the trial rebuilt some marts)."""
    fetch(con, "begin transaction")
    journal.cut_back(con, counts)
    build_stamps.drop(con, "marts")
    fetch(con, "commit")


# The steps of a call, in order. Collection runs inside `issue`, after each day's documents.
STEPS = ("load", "derive", "issue", "marts", "export", "documents")


def _silent(message: str) -> None:
    pass


@dataclass
class Call:
    """One call of the engine: what it works on, and what its steps found on the way.

    `fiberbill run` is a call of every step; a Dagster asset's materialization is a call of
    its own step. Either way `execute` runs the steps in STEPS order under the warehouse's
    writer lock, as one journaled call that is undone unless every step succeeded
    (fiberbill/journal.py). A step reads what the steps before it in the same call recorded here, or
    the warehouse when it runs alone.
    """

    warehouse: Path
    through: date
    settings: Settings
    data_dir: Path | None = None
    exports: Path = DEFAULT_EXPORTS
    strict: bool = False
    gateway: StripeGateway | None = None
    progress: Callable[[str], None] = _silent
    # a dbt step's own selection (Dagster's subset of its models and tests), else None
    dbt_selection: list[str] | None = None
    # receives each dbt node's result event (the Dagster assets report them)
    node_results: list[dict] | None = None
    export_months: list[str] | None = None  # None: every month with a spec
    documents: bool = True  # render the documents of the numbers issued (--no-documents)
    command: str = "fiberbill run"  # what made the call, as ops.runs records it
    # found by the steps
    record: journal.CallRecord | None = None
    first_day: date | None = None
    previous: date | None = None  # the last run day before this call
    report: LoadReport | None = None
    stamps: dict[str, str] = field(default_factory=dict)
    views_current: list[str] = field(default_factory=list)  # steps whose views are current
    built: bool = False  # whether a dbt build ran
    issued: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    assurance: dict[str, tuple[int, int]] = field(default_factory=dict)
    money: list[dict] = field(default_factory=list)

    @property
    def dbt_vars(self) -> dict:
        return model_vars(self.settings, self.through, self.previous)

    @property
    def payments(self) -> str:
        return "stripe" if self.gateway is not None else "none"

    @contextlib.contextmanager
    def connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The warehouse, checkpointed on success (dbt opens the file next)."""
        con = connect(self.warehouse, read_only=read_only)
        try:
            yield con
            if not read_only:
                fetch(con, "checkpoint")
        finally:
            con.close()


def _current(con, call: Call, build: str, value: str) -> bool:
    """Whether `build` is current; its stamp is kept in the call for when it succeeded."""
    call.stamps[build] = value
    return build_stamps.is_current(con, build, value)


def load(call: Call) -> None:
    """Append the input folder's new files to `raw`, in one transaction; --strict refuses
    any rejected row. A load that adds nothing is rolled back: it leaves no trace."""
    with call.connection() as con, transaction(con) as outcome:
        call.report, _ = load_inputs(
            con, call.data_dir, call.settings, call.progress, portal=store_path(call.warehouse)
        )
        report = call.report
        if call.strict and (report.rejected or report.warnings):
            raise StrictModeError(
                f"--strict: {report.rejected} row(s) rejected and {report.warnings} "
                "warning(s); see the reasons by running without --strict (marts.rejected_rows)"
            )
        outcome.commit = report.changed


def derive(call: Call) -> None:
    """dbt before the ledger: what every charge amounts to, day by day. Skipped while its
    stamp is current; only the run-day models when only the run day changed; the views
    left be while theirs is current (fiberbill/build_stamps.py)."""
    if call.dbt_selection is not None:
        call.progress("deriving charges (dbt, the models selected)")
        _selected_build(call)
        return
    dbt_vars = call.dbt_vars
    with call.connection() as con:
        inputs = build_stamps.stamp(con, build_stamps.without_run_day(dbt_vars), DERIVE_READS)
        derive = build_stamps.stamp(con, dbt_vars, DERIVE_READS)
        derive_is_current = _current(con, call, "derive", derive)
        inputs_are_current = _current(con, call, "inputs", inputs)
        views_are_current = _current(con, call, "derive_views", build_stamps.views_stamp(con))
    whole = not derive_is_current and not inputs_are_current
    if derive_is_current:
        call.progress("charges are derived already (nothing new since the last call)")
    elif inputs_are_current:
        call.progress("deriving the new run days' charges (dbt; no input changed)")
        _build(call, select=[AS_OF_RUN_DAY], exclude=[LEDGER_MARTS])
    else:
        call.progress("deriving charges (dbt)")
        _build(call, exclude=[LEDGER_MARTS], rebuild_views=not views_are_current)
    # the views are current if they were, or if this build made every one of them
    _record(call, ["inputs", "derive"], views=views_are_current or whole)


def issue(call: Call) -> None:
    """Every run day through the call's day: issue the documents, then collect."""
    if call.strict and call.gateway is not None:
        strict_preflight(call)
    with call.connection() as con:
        call.issued = bill_days(
            con,
            call.warehouse,
            call.through,
            call.settings,
            call.gateway,
            call.progress,
            # a call whose load added nothing has no payment to settle on a past day
            news=call.report is None or call.report.changed,
        )


def marts(call: Call) -> None:
    """dbt after the ledger: the contract's marts. Skipped while its stamp is current."""
    if call.dbt_selection is not None:
        call.progress("building marts (dbt, the models selected)")
        _selected_build(call)
        return
    with call.connection() as con:
        marts = build_stamps.stamp(con, call.dbt_vars, MARTS_READS)
        marts_are_current = _current(con, call, "marts", marts)
        views_are_current = _current(con, call, "marts_views", build_stamps.views_stamp(con))
    if marts_are_current:
        call.progress("marts are built already (nothing new since the last call)")
    else:
        call.progress("building marts (dbt)")
        _build(call, select=[LEDGER_MARTS], rebuild_views=not views_are_current)
    _record(call, ["marts"], views=views_are_current or not marts_are_current)


def _build(call: Call, **selection) -> None:
    call.built = True
    run_dbt(
        "build",
        call.warehouse,
        call.dbt_vars,
        node_results=call.node_results,
        keep_stamps=True,
        **selection,
    )


def _selected_build(call: Call) -> None:
    """A front door's own selection of a step's models: built, every stamp forgotten."""
    call.built = True
    run_dbt(
        "build",
        call.warehouse,
        call.dbt_vars,
        flags=call.dbt_selection,
        node_results=call.node_results,
    )


def _record(call: Call, builds: list[str], views: bool) -> None:
    """Record the stamps of `builds`, which the step made (or found) current. The step's
    views, when current, are stamped as they stand when the call ends (`finish`): the
    stamp names every view of the warehouse, and a later step may add some."""
    with call.connection() as con:
        build_stamps.record(con, {build: call.stamps[build] for build in builds})
    if views:
        call.views_current.append("derive_views" if "derive" in builds else "marts_views")


def finish(call: Call, steps: tuple[str, ...]) -> None:
    """The end of a call, in one transaction that records it finished (fiberbill/journal.py):
    --strict's last check (payments are checked against the ledger, so some rejections come
    only now), the call recorded in `ops.runs` when it loaded or issued anything, and the
    counts shown."""
    with call.connection() as con:
        with transaction(con):
            _record_end(con, call, steps)
        if "marts" in steps:
            call.counts = {
                t: fetch(con, f"select count(*) from marts.{t}")[0][0] for t in MART_TABLES
            }
            call.assurance = assurance_counts(con)
            # the call's run days: from the day after the last one before it (all of them on
            # a new warehouse), or none
            billed = (call.first_day or date.min) if call.issued.get("days") else None
            call.money = summary.money(con, billed, ledger.last_run_day(con) or call.through)


def _record_end(con: duckdb.DuckDBPyConnection, call: Call, steps: tuple[str, ...]) -> None:
    """What a call records at its end; raises on --strict's last check."""
    ensure_ops_schema(con)
    views = build_stamps.views_stamp(con)
    build_stamps.record(con, {build: views for build in call.views_current})
    if "marts" in steps:
        rejections = fetch(con, "select count(*) from marts.rejected_rows")[0][0]
        if call.strict and rejections:
            raise _strict_rejections(rejections)
    changed = call.report is not None and call.report.changed
    if "issue" in steps and (changed or call.issued.get("days")):
        if call.report is not None:
            batch_id = call.report.batch_id if changed else None
        else:  # a call without the load: the last batch loaded
            batch_id = fetch(con, "select max(batch_id) from raw.load_batches")[0][0]
        first = None
        if call.issued.get("days"):
            first = fetch(
                con,
                "select min(run_date) from ledger.run_days where run_date > ?",
                [call.previous or date.min],
            )[0][0]
        record_run(
            con,
            call.settings,
            call.dbt_vars,
            batch_id,
            call.strict,
            call.payments,
            call.command,
            first,
        )
    if call.record is not None:
        journal.finished(con, call.record)


def export(call: Call) -> None:
    """The wholesale specs' files, after the warehouse: a spec is exported once it is
    published, and a failed export is retried by the next call (writing what is missing,
    never overwriting)."""
    with connect(call.warehouse, read_only=True) as con:
        specs = fetch(con, "select count(*) from marts.wholesale_specs")[0][0]
    if specs:
        call.progress("exporting wholesale specs")
        counts = export_specs(call.warehouse, call.exports, months=call.export_months)
        call.issued |= {f"exports_{k}": v for k, v in counts.items()}


def render(
    warehouse: Path,
    exports: Path,
    since: date | None = None,
    numbers: list[str] | None = None,
    progress: Callable[[str], None] = _silent,
    until: date | None = None,
) -> dict[str, int]:
    """`fiberbill documents render`: (re)create the missing documents of the numbers in
    scope and verify the existing ones, under the warehouse's writer lock. The operator's
    details are those of the last run (ops.settings)."""
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise InputError(f"{warehouse}: warehouse does not exist (run fiberbill run first)")
    with writer_lock(warehouse, command="documents render"):
        with connect(warehouse) as con:
            settings, _ = read_run_settings(con)
            ledger.ensure_ledger(con)
            outcome = render_documents(
                con, Path(exports), settings.operator, since, numbers or [], progress, until=until
            )
            drafts = render_drafts(con, Path(exports), settings.operator)
        republish_portal(warehouse, exports)
    return outcome.as_counts() | {"drafts": drafts}


def republish_portal(warehouse: Path, exports: Path | None = None) -> None:
    """Publish the customer portal's snapshot again after a command other than a run
    changed what it shows (documents rendered, an invoice finalized or written off). Call
    under the writer lock. `exports`: where the documents are; by default the folder the
    published snapshot names."""
    with connect(warehouse, read_only=True) as con:
        settings, _ = read_run_settings(con)
    exports = exports or portal_snapshot.published_exports(warehouse) or DEFAULT_EXPORTS
    portal_snapshot.publish(warehouse, exports, settings.operator)


def documents(call: Call) -> None:
    """The documents of every number issued and published without one (PDF and HTML,
    fiberbill/documents), after the warehouse: each recorded in the published warehouse in
    one transaction per issue day, once its files are written. A call that failed before
    publishing leaves no document; a crash after the files but before their record is
    mended by the next call, which renders the same bytes."""
    if not call.documents:
        return
    with connect(call.warehouse) as con:
        if ledger.last_run_day(con) is None:
            return
        ledger.ensure_ledger(con)
        outcome = render_documents(
            con, call.exports, call.settings.operator, progress=call.progress, verify=False
        )
        drafts = render_drafts(con, call.exports, call.settings.operator)
        email = call.settings.email
        if email is not None:
            call.progress(f"e-mailing documents through {email.host}:{email.port}")
            sent = deliver(con, call.exports, email, call.settings.operator)
            call.issued |= {f"email_{k}": v for k, v in sent.as_counts().items()}
            call.issued["email_reasons"] = sent.reasons
    call.issued |= {f"documents_{k}": v for k, v in outcome.as_counts().items()}
    call.issued["documents_drafts"] = drafts
    call.issued["email"] = "on" if call.settings.email is not None else "off"


STEP_FUNCTIONS = {"load": load, "derive": derive, "issue": issue, "marts": marts}


def restore_derived(warehouse: Path) -> None:
    """After a call was undone: rebuild every derived table from the facts, as the last
    call that finished built them (its dbt vars, ops.settings). A warehouse no call
    finished on has nothing derived to keep. If the rebuild fails, the stamps are gone
    (fiberbill/journal.py), so the next call rebuilds in full anyway."""
    with connect(warehouse, read_only=True) as con:
        try:
            _, dbt_vars = read_run_settings(con)
        except InputError:
            return
    with contextlib.suppress(DbtError):
        run_dbt("build", warehouse, dbt_vars)


def execute(call: Call, steps: tuple[str, ...] = STEPS, command: str | None = None) -> Call:
    """Run `steps` of `call`, in STEPS order, all or nothing: under the warehouse's writer
    lock, as one journaled call, undone unless every step succeeded (fiberbill/journal.py).
    Export and documents, which write files, come after."""
    unknown = set(steps) - set(STEPS)
    if unknown:
        raise ValueError(f"unknown step(s) {sorted(unknown)}; the steps are {STEPS}")
    steps = tuple(step for step in STEPS if step in steps)
    if command:
        call.command = command
    with writer_lock(call.warehouse, command=command):
        writes = [step for step in steps if step in STEP_FUNCTIONS]
        if writes:
            with journal.atomic(call.warehouse, call.command, restore_derived) as record:
                call.record = record
                with call.connection(read_only=True) as con:
                    call.previous = ledger.last_run_day(con)
                    call.first_day = first_run_day(con)
                for step in writes:
                    with journal.step(call.warehouse, record, step):
                        STEP_FUNCTIONS[step](call)
                finish(call, steps)
        if "export" in steps:
            export(call)
        if "documents" in steps:
            documents(call)
        if ("marts" in steps or "documents" in steps) and _publish_needed(call):
            call.progress("publishing the customer portal's snapshot")
            portal_snapshot.publish(call.warehouse, call.exports, call.settings.operator)
    return call


def _publish_needed(call: Call) -> bool:
    """Whether the published snapshot may differ from what the warehouse shows now: not
    after a call that found nothing new (no row added, no dbt build, the same exports
    folder), so such a call costs next to nothing at any size."""
    if call.record is None or call.built:
        return True
    if portal_snapshot.published_exports(call.warehouse) != Path(call.exports).resolve():
        return True
    with connect(call.warehouse, read_only=True) as con:
        return journal.row_counts(con) != call.record.counts


def run(
    data_dir: Path,
    through: date,
    warehouse: Path = DEFAULT_WAREHOUSE,
    exports: Path = DEFAULT_EXPORTS,
    strict: bool = False,
    payments: str = "stripe",
    progress: Callable[[str], None] = lambda message: None,
    gateway: StripeGateway | None = None,
    documents: bool = True,
) -> RunResult:
    """Load DIR and bill through `through` on the warehouse, all or nothing: every step."""
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise InputError(f"{data_dir}: input folder does not exist")
    settings = load_settings(data_dir)
    call = Call(
        warehouse=Path(warehouse),
        through=through,
        settings=settings,
        data_dir=data_dir,
        exports=Path(exports),
        strict=strict,
        gateway=collection_gateway(payments, settings, gateway),
        progress=progress,
        documents=documents,
    )
    execute(call)
    return RunResult(
        call.report,
        settings,
        through,
        call.first_day,
        call.counts,
        call.issued,
        call.assurance,
        call.money,
    )
