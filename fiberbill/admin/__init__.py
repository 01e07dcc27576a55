"""Administration of issued invoices, outside a billing run: finalize drafts, write off,
and list invoices and customers from the marts.

Finalizing and writing off append to the ledger (nothing is edited) on the warehouse's last
run day, in one transaction, then rebuild the ledger marts; both are journaled calls
(fiberbill/journal.py), so a failure leaves the warehouse as it was. The lists only read
the marts as the last call published them (the portal's snapshot, which a run never
holds: they answer while one writes), with every filter bound as a parameter. No Dagster
import.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from exports.cells import spreadsheet_safe
from fiberbill import journal, ledger
from fiberbill.dbt import LEDGER_MARTS, run_dbt
from fiberbill.locking import writer_lock
from fiberbill.portal import snapshot as portal_snapshot
from fiberbill.run import read_run_settings, republish_portal, restore_derived
from fiberbill.sqlfiles import SqlFiles
from ingest.errors import InputError
from ingest.loader import connect, fetch, transaction

INVOICE_STATUSES = ("draft", "open", "paid", "late", "void", "uncollectible")
PAYMENT_STATUSES = ("no_invoices", "current", "outstanding", "late")
METHODS = ("card", "us_bank_account", "sepa_debit", "none")
# the admin commands' lookups (fiberbill/admin/sql/)
SQL = SqlFiles(Path(__file__).with_name("sql"))


def _open_ledger(warehouse: Path) -> None:
    if not Path(warehouse).exists():
        raise InputError(f"{warehouse}: warehouse does not exist (run fiberbill run first)")


def _last_day(con: duckdb.DuckDBPyConnection, warehouse: Path) -> date:
    day = ledger.last_run_day(con)
    if day is None:
        raise InputError(f"{warehouse}: no billing run day yet (run fiberbill run first)")
    return day


def _ledger_change(warehouse: Path, command: str, change: Callable) -> object:
    """Apply `change(con, settings, day)` to the ledger in one transaction, as a journaled
    call under the writer lock, then rebuild the ledger marts and republish the customer
    portal's snapshot; when it changed nothing, nothing is written. Returns what `change`
    returns."""
    _open_ledger(warehouse)
    warehouse = Path(warehouse)
    with writer_lock(warehouse, command=command):
        with journal.atomic(warehouse, command, restore_derived) as record:
            with journal.step(warehouse, record, "ledger"), connect(warehouse) as con:
                settings, dbt_vars = read_run_settings(con)
                day = _last_day(con, warehouse)
                with transaction(con) as outcome:
                    before = journal.row_counts(con)
                    result = change(con, settings, day)
                    outcome.commit = changed = journal.row_counts(con) != before
            if not changed:
                return result
            with journal.step(warehouse, record, "marts"):
                run_dbt("build", warehouse, dbt_vars, select=[LEDGER_MARTS])
            with connect(warehouse) as con, transaction(con):
                journal.finished(con, record)
        republish_portal(warehouse)  # what the customer portal shows changed
    return result


def finalize(warehouse: Path, drafts: list[str] | None) -> list[tuple[str, str]]:
    """Finalize the named drafts (DRAFT-… ids), or all drafts when `drafts` is None.

    Each gets the next number of the year of the last run day, in (customer_id, currency)
    order, that day as its issue day, and a due day payment_terms_days later. Returns
    (draft_id, invoice_number) pairs.
    """

    def change(con, settings, day):
        open_drafts = {
            f"DRAFT-{invoice_id:08d}": invoice_id
            for (invoice_id,) in SQL.rows(con, "10_open_drafts")
        }
        if drafts is None:
            chosen = sorted(open_drafts.values())
        else:
            unknown = [d for d in drafts if d not in open_drafts]
            if unknown:
                raise InputError(
                    f"invoices finalize: {unknown[0]}: no such draft (see fiberbill "
                    "invoices list --status draft)"
                )
            chosen = sorted({open_drafts[d] for d in drafts})
        if not chosen:
            return []
        fetch(con, "create or replace temp table _chosen (invoice_id BIGINT)")
        fetch(con, "insert into _chosen select unnest(?)", [chosen])
        ledger.ensure_ledger(con)
        params = ledger.day_params(day, settings)
        ledger.STEPS.run(con, "65_finalize", params)
        # credit balance pays the invoices issued today, these included
        ledger.STEPS.run(con, "75_balance_applied", params)
        ledger.record_statuses(con, day, "select invoice_id from _chosen")
        return [
            (f"DRAFT-{invoice_id:08d}", number)
            for invoice_id, number in fetch(
                con,
                "select invoice_id, invoice_number from ledger.invoice_finalizations "
                "where invoice_id in (select invoice_id from _chosen) "
                "order by invoice_number",
            )
        ]

    return _ledger_change(warehouse, "invoices finalize", change)


def write_off(warehouse: Path, invoice_numbers: Sequence[str], reason: str) -> date:
    """Make open or late invoices uncollectible on the last run day, all or none (one
    transaction, one marts build). Returns that day."""
    if not reason.strip():
        _open_ledger(warehouse)
        raise InputError("invoices write-off: --reason must not be empty")

    def change(con, settings, day):
        ids = []
        for invoice_number in dict.fromkeys(invoice_numbers):
            found = SQL.rows(con, "20_current_status", {"invoice_number": invoice_number})
            if not found:
                raise InputError(f"invoices write-off: {invoice_number}: no such invoice")
            invoice_id, status = found[0]
            if status not in ("open", "late"):
                raise InputError(
                    f"invoices write-off: {invoice_number}: is {status}; only open or late "
                    "invoices can be written off"
                )
            ids.append(int(invoice_id))
        con.executemany(
            "insert into ledger.invoice_writeoffs values (?, ?, ?, now())",
            [[invoice_id, day, reason.strip()] for invoice_id in ids],
        )
        ledger.ensure_ledger(con)
        ledger.record_statuses(
            con,
            day,
            "select unnest(" + repr(ids) + ") as invoice_id",
            cause=f"written off: {reason.strip()}",
        )
        return day

    return _ledger_change(warehouse, "invoices write-off", change)


@dataclass
class Listing:
    columns: list[str]
    rows: list[tuple]
    total: int | None = None  # rows matching, when `rows` is limited


# --sort: name -> order (the first is the default)
INVOICE_SORTS = {
    "newest": "created_date desc, invoice_number desc nulls first, draft_id desc",
    "number": "invoice_number nulls last, draft_id",
    "due": "due_date nulls last, invoice_number",
    "amount_due": "amount_due desc, invoice_number nulls last, draft_id",
    "customer": "customer_id, invoice_number nulls last, draft_id",
}
CUSTOMER_SORTS = {
    "customer": "customer_id, currency nulls first",
    "outstanding": "outstanding_amount desc, customer_id, currency nulls first",
    "late": "late_invoices desc, outstanding_amount desc, customer_id, currency nulls first",
}


INVOICE_COLUMNS = (
    "invoice_number, draft_id, customer_id, currency, issue_date, due_date, total, "
    "amount_paid, amount_credited, amount_due, status, collection_method, payment_method, "
    "customer_name"
)


def list_invoices(
    warehouse: Path,
    statuses: list[str] | None = None,
    customer: str | None = None,
    provider: str | None = None,
    method: str | None = None,
    issued_from: date | None = None,
    issued_to: date | None = None,
    sort: str = "newest",
    limit: int | None = None,
) -> Listing:
    """Invoices matching every filter given, in `sort` order (INVOICE_SORTS), at most
    `limit` of them (None or 0: all)."""
    if issued_from and issued_to and issued_from > issued_to:
        raise InputError(f"--issued-from {issued_from} is after --issued-to {issued_to}")
    by_method = ("payment_method is null", ()) if method == "none" else ("payment_method = ?",)
    return _select(
        warehouse,
        f"select {INVOICE_COLUMNS} from marts.invoices",
        [
            (statuses, "status in (select unnest(?))", [statuses]),
            (customer, "customer_id = ?"),
            (
                provider,
                "draft_id in (select draft_id from marts.invoice_lines where provider_id = ?)",
            ),
            (method, *by_method),
            (issued_from, "issue_date >= ?"),
            (issued_to, "issue_date <= ?"),
        ],
        INVOICE_SORTS[sort],
        limit,
    )


CUSTOMER_COLUMNS = (
    "customer_id, currency, name, collection_method, has_usable_payment_method, "
    "default_payment_method_type, open_invoices, late_invoices, outstanding_amount, "
    "credit_balance, payment_status, email, country"
)


def list_customers(
    warehouse: Path,
    payment_statuses: list[str] | None = None,
    has_payment_method: bool | None = None,
    collection: str | None = None,
    sort: str = "customer",
    limit: int | None = None,
) -> Listing:
    return _select(
        warehouse,
        f"select {CUSTOMER_COLUMNS} from marts.customers",
        [
            (payment_statuses, "payment_status in (select unnest(?))", [payment_statuses]),
            (has_payment_method, "has_usable_payment_method = ?"),
            (collection, "collection_method = ?"),
        ],
        CUSTOMER_SORTS[sort],
        limit,
    )


def _select(
    warehouse: Path, select: str, filters: list[tuple], order: str, limit: int | None = None
) -> Listing:
    """`select` filtered by each (value, condition[, parameters]) whose value was given (a
    filter left out is None or empty; False is a value). The condition's parameters are
    the value itself unless listed."""
    where, params = [], []
    for value, condition, *listed in filters:
        if value is None or value == [] or value == "":
            continue
        where.append(condition)
        params += list(listed[0]) if listed else [value]
    sql = select + (" where " + " and ".join(where) if where else "") + f" order by {order}"
    return _query(warehouse, sql, params, limit)


def _query(warehouse: Path, sql: str, params: list, limit: int | None = None) -> Listing:
    _open_ledger(warehouse)
    with portal_snapshot.reading(warehouse) as con:
        total = None
        if limit:
            total = fetch(con, f"select count(*) from ({sql})", params)[0][0]
            sql += f" limit {int(limit)}"
        result = con.execute(sql, params)
        columns = [d[0] for d in result.description]
        return Listing(columns, result.fetchall(), total)


def cell_text(value) -> str:
    """A value as a list shows it: empty for null, true/false for booleans."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def render(listing: Listing, fmt: str) -> str:
    """The listing as an aligned table, CSV (decimals as text) or JSON (a list of objects)."""
    text = cell_text

    if fmt == "json":
        return json.dumps(
            [
                {
                    c: (v if isinstance(v, bool | int) or v is None else str(v))
                    for c, v in zip(listing.columns, row, strict=True)
                }
                for row in listing.rows
            ],
            indent=2,
        )
    if fmt == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(listing.columns)
        writer.writerows(
            [
                [spreadsheet_safe(v) if isinstance(v, str) else text(v) for v in row]
                for row in listing.rows
            ]
        )
        return out.getvalue().rstrip("\n")
    cells = [listing.columns] + [[text(v) for v in row] for row in listing.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(listing.columns))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({len(listing.rows)} row{'s' if len(listing.rows) != 1 else ''})")
    return "\n".join(lines)
