"""The append-only ledger of issued documents: invoices, their lines, credit notes, voids.

What each charge amounts to, day by day, is derived by the dbt models
(`intermediate.int_charges__targets`). The ledger only issues documents: for each run day in
order it compares what is owed for every charge that changed that day with what has already
been issued, and writes the difference as invoice lines, credit notes or voids. Every
statement is set-based over all customers; there is no loop per customer.

Nothing is ever updated or deleted here. No Dagster import.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import duckdb

from fiberbill import relations
from fiberbill.ledger import wholesale
from fiberbill.ledger.steps import STEPS
from ingest.loader import fetch, transaction
from ingest.settings import Settings

TARGETS = relations.CHARGE_TARGETS

# The ledger's tables and views, as the Dagster assets and dbt sources name them.
TABLES = (
    "run_days",
    "invoices",
    "invoice_lines",
    "invoice_taxes",
    "credit_notes",
    "credit_allocations",
    "invoice_voids",
    "balance_events",
    "balance_applications",
    "invoice_finalizations",
    "invoice_writeoffs",
    "invoice_late",
    "late_fee_waivers",
    "invoice_status_history",
    "collected_payments",
    "payment_attempts",
    "payment_method_declines",
    "stripe_refunds",
    "stripe_refund_events",
    "refund_status",
    "invoice_documents",
    "manual_payment_checks",
    "wholesale_spec_lines",
    "wholesale_specs",
)


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger's tables (if missing), and (re)define its views and macros, which
    the dbt marts read too (sql/01_macros.sql)."""
    STEPS.run(con, "00_schema")
    STEPS.run(con, "01_macros")


def last_run_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last run day done, or None. Writes nothing: works on a read-only connection."""
    exists = fetch(
        con,
        "select count(*) from information_schema.tables "
        "where table_schema = 'ledger' and table_name = 'run_days'",
    )[0][0]
    return fetch(con, "select max(run_date) from ledger.run_days")[0][0] if exists else None


def first_event_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest day anything is owed to anyone: the first change of any retail charge,
    or the first active day of any wholesale charge (a provider that bills its own retail
    still owes the operator wholesale)."""
    return fetch(
        con,
        f"select min(d) from (select min(change_date) as d from {TARGETS} "
        f"union all select min(service_start_date) from {wholesale.BY_VERSION})",
    )[0][0]


def day_params(day: date, settings: Settings, catch_up: bool = False) -> dict:
    """The named parameters of the run day's steps: the day and the settings they read."""
    fee = settings.late_fee
    return {
        "day": day,
        "catch_up": catch_up,
        "grace": settings.grace_days,
        "fee_kind": fee.kind,
        "fee_fixed_cents": int(fee.value * 100) if fee.kind == "fixed" else 0,
        "fee_rate": str(fee.value / 100) if fee.kind == "percent" else "0",
        "invoice_prefix": settings.invoice_prefix,
        "credit_note_prefix": settings.credit_note_prefix,
        "auto_finalize": settings.auto_finalize,
        "payment_terms_days": settings.payment_terms_days,
        "cause": "",
    }


def record_statuses(
    con: duckdb.DuckDBPyConnection, day: date, scope: str, cause: str = "", catch_up: bool = False
) -> None:
    """Append a status history row for each invoice in `scope` (a step file that fills
    `_scope`, or a short query of invoice_id) whose status changed. An empty scope changes
    no status: most quiet days of a collecting call."""
    if scope in STEPS.names():
        in_scope = STEPS.run(con, scope, {"day": day, "catch_up": catch_up})
    else:
        in_scope = fetch(con, f"create or replace temp table _scope as {scope}")[0][0]
    if in_scope:
        STEPS.run(con, "81_statuses", {"day": day, "cause": cause})


def credit_today(con: duckdb.DuckDBPyConnection, params: dict) -> dict[str, int]:
    """Today's credits (`_alloc`), per invoice: a void for an invoice with no money received
    that would owe nothing after them, else a credit note (tax included), and a refund
    through Stripe of money collected beyond what the invoice still owes."""
    STEPS.run(con, "40_credit_effect", params)
    voids = STEPS.run(con, "41_voids", params)
    STEPS.run(con, "42_credit_notes", params)
    STEPS.run(con, "43_refunds_planned", params)
    return {"voids": voids, "credit_notes": fetch(con, "select count(*) from _credit_notes")[0][0]}


def run_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, catch_up: bool
) -> dict[str, int]:
    """Issue every document due on `day`, step by step (sql/NN_*.sql, in number order).
    A step whose input is empty is skipped: on a quiet day planning is most of the cost.
    Returns counts of what was written."""
    params = day_params(day, settings, catch_up)
    counts = {"invoices": 0, "lines": 0, "credit_notes": 0, "voids": 0, "late": 0}
    STEPS.run(con, "10_owed", params)
    STEPS.run(con, "20_new_lines", params)
    if STEPS.run(con, "30_allocate", params):
        counts |= credit_today(con, params)
    if STEPS.run(con, "50_turning_late", params):
        counts["late"] = STEPS.run(con, "51_late", params)
    if STEPS.run(con, "55_fee_pending", params):
        STEPS.run(con, "56_late_fees", params)
    counts["invoices"] = STEPS.run(con, "60_invoices", params)
    counts["lines"] = fetch(con, "select count(*) from _new_lines")[0][0]
    if STEPS.run(con, "70_arising_scope", params):
        STEPS.run(con, "71_balance_arising", params)
    if fetch(con, "select exists (select 1 from ledger.balance_events)")[0][0]:
        STEPS.run(con, "75_balance_applied", params)
    record_statuses(con, day, "80_touched_today", catch_up=catch_up)
    counts["wholesale_specs"] = wholesale.publish(con, day, settings) if day.day == 1 else 0
    fetch(con, "insert into ledger.run_days values (?, now())", [day])
    return counts


def issue_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, catch_up: bool
) -> dict[str, int]:
    """`run_day` as one transaction: a day is issued whole or not at all."""
    with transaction(con):
        return run_day(con, day, settings, catch_up)


def _late_days(con, start: date, through: date, grace: int) -> set[date]:
    """Days on which an issued invoice may turn late."""
    return {
        d
        for (d,) in fetch(
            con,
            "select distinct due_date + cast(? as integer) + 1 from ledger.invoice_documents "
            "where due_date + cast(? as integer) + 1 between ? and ?",
            [grace, grace, start, through],
        )
    }


def run_days(
    con: duckdb.DuckDBPyConnection,
    through: date,
    settings: Settings,
    progress: Callable[[date, date], None] = lambda day, last: None,
    collect: Callable[[date], None] | None = None,
    collect_days: set[date] | None = None,
    news: bool = True,
) -> dict[str, int]:
    """Carry out every run day after the last one done, through `through`, in order.

    With no run day to carry out, payments that arrived since the last one are settled on
    it (`settle_late_news`), unless the caller knows nothing arrived (`news` false: its
    load added no row, so the last call that finished settled everything there is).

    `collect(day)`, when given, collects payments after each day's documents are issued
    (Stripe); it runs on every day, since payments in flight are reconciled daily, unless
    `collect_days` names the only days it is needed on (besides the first).
    """
    ensure_ledger(con)
    previous = last_run_day(con)
    start = previous + timedelta(days=1) if previous else first_event_day(con)
    totals = {
        "days": 0,
        "invoices": 0,
        "lines": 0,
        "credit_notes": 0,
        "voids": 0,
        "late": 0,
        "wholesale_specs": 0,
    }
    if start is None:
        return totals
    if previous is not None and start > through:
        if news:
            settle_late_news(con, previous)
        return totals
    # Only days on which some charge changes, a payment arrives or an invoice may turn late
    # (and the first day, which catches up) have anything to issue; the other days are
    # recorded as run in one statement.
    busy = {
        d
        for (d,) in fetch(
            con,
            f"select distinct change_date from {TARGETS} where change_date between $1 and $2 "
            "union select distinct received_date from staging.stg_inputs__payments "
            "where received_date between $1 and $2",
            [start, through],
        )
    } | {start}
    busy |= _late_days(con, start, through, settings.grace_days)
    # wholesale specs are made on the 1st of each month
    busy |= {
        date(y, m, 1)
        for y in range(start.year, through.year + 1)
        for m in range(1, 13)
        if start <= date(y, m, 1) <= through
    }
    day = start
    if collect is not None and collect_days is not None:
        busy |= collect_days
    daily = collect is not None and collect_days is None
    while day <= through:
        progress(day, through)
        if day in busy or daily:
            counts = issue_day(con, day, settings, catch_up=(day == start))
            for key, value in counts.items():
                totals[key] += value
            if counts["invoices"]:
                busy |= _late_days(con, day, through, settings.grace_days)
            if collect is not None and (daily or day in busy):
                collect(day)
        else:
            fetch(con, "insert into ledger.run_days values (?, now())", [day])
        totals["days"] += 1
        day += timedelta(days=1)
    return totals


def settle_late_news(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """A call with no new run day: payments recorded since the last run day (`day`) that
    were received on or before it are settled on it, as the first day of every call
    catches up (steps 70 and 71 with catch-up): money beyond what an invoice owes becomes
    credit balance (it pays the next invoices issued), and each invoice's status follows its
    amounts (a history row dated `day`, recorded now). Nothing is issued: documents and late
    fees wait for the next run day."""
    params = {"day": day, "catch_up": True}
    if STEPS.run(con, "70_arising_scope", params):
        STEPS.run(con, "71_balance_arising", params)
    record_statuses(con, day, "70_arising_scope", catch_up=True)


def after_collection(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """After Stripe collected on `day`: credit balance from any overpayment, and statuses."""
    params = {"day": day, "catch_up": False}
    if STEPS.run(con, "70_arising_scope", params):
        STEPS.run(con, "71_balance_arising", params)
    record_statuses(con, day, "85_collected_today")
