"""Consistency checks over the ledger, the marts and the exported files.

Each function takes an open DuckDB connection (or the export folder) and returns the
problems found, so Dagster's asset checks and tests use the same code. No Dagster import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.loader import fetch


@dataclass
class Finding:
    passed: bool
    summary: str
    details: dict[str, object] = field(default_factory=dict)


# Numbers are <prefix>-<year>-<sequence>; each prefix and year counts 1, 2, 3, ... without gaps.
NUMBERING = """
    with numbers as (
        select regexp_extract({column}, '^(.*)-([0-9]+)$', 1) as series,
            cast(regexp_extract({column}, '^(.*)-([0-9]+)$', 2) as bigint) as seq
        from {table} where {column} is not null
    )
    select series, count(*) as n, count(distinct seq) as distinct_n, max(seq) as last_seq
    from numbers group by series order by series
"""


def numbering_gaps(con: duckdb.DuckDBPyConnection) -> Finding:
    """Invoice and credit note numbers run 1..n per series with no gap and no repeat."""
    problems, series_count = [], 0
    for table, column in (
        ("ledger.invoice_documents", "invoice_number"),
        ("ledger.credit_notes", "credit_note_number"),
    ):
        for series, n, distinct_n, last_seq in fetch(
            con, NUMBERING.format(table=table, column=column)
        ):
            series_count += 1
            if not (n == distinct_n == last_seq):
                problems.append(f"{series}: {n} numbers, {distinct_n} distinct, last {last_seq}")
    return Finding(
        not problems,
        "; ".join(problems) or f"{series_count} number series, all gapless",
        {"series": series_count, "broken_series": len(problems)},
    )


# (what, ledger cents, mart amount): the same money counted on both sides.
TOTALS = (
    (
        "invoice lines",
        "select sum(amount_cents) from ledger.invoice_lines",
        "select sum(amount) * 100 from marts.invoice_lines",
    ),
    (
        "invoice tax",
        "select sum(tax_cents) from ledger.invoice_documents",
        "select sum(tax_total) * 100 from marts.invoices",
    ),
    ("invoices", "select count(*) from ledger.invoices", "select count(*) from marts.invoices"),
    (
        "credit notes",
        "select sum(amount_cents) from ledger.credit_notes",
        "select sum(amount) * 100 from marts.credit_notes",
    ),
    (
        "wholesale spec lines",
        "select sum(amount_cents) from ledger.wholesale_spec_lines",
        "select sum(amount) * 100 from marts.wholesale_spec_lines",
    ),
)


def ledger_matches_marts(con: duckdb.DuckDBPyConnection) -> Finding:
    """The marts show exactly the money (and the invoices) the ledger issued."""
    details, problems = {}, []
    for what, ledger_sql, mart_sql in TOTALS:
        ledger_value = fetch(con, ledger_sql)[0][0] or 0
        mart_value = fetch(con, mart_sql)[0][0] or 0
        details[what] = f"{ledger_value} / {mart_value}"
        if ledger_value != mart_value:
            problems.append(f"{what}: ledger {ledger_value}, marts {mart_value}")
    return Finding(
        not problems, "; ".join(problems) or "ledger and marts agree (cents / counts)", details
    )


UNATTEMPTED = """
    select m.has_usable_payment_method, count(distinct i.customer_id), count(*)
    from marts.invoices i
    join ledger.invoice_documents d using (invoice_number)
    join marts.customers m on m.customer_id = i.customer_id and m.currency = i.currency
    where i.collection_method = 'auto' and i.status in ('open', 'late') and i.amount_due > 0
        and d.invoice_id not in (select invoice_id from ledger.payment_attempts)
        and d.invoice_id not in (select invoice_id from ledger.collected_payments)
    group by all
"""


def unattempted_auto_invoices(con: duckdb.DuckDBPyConnection, collecting: bool) -> Finding:
    """Every open invoice of an auto-collection customer has had a Stripe payment attempt."""
    if not collecting:
        return Finding(True, "collection is off (no STRIPE_API_KEY): nothing to check")
    rows = {
        bool(usable): (customers, invoices)
        for usable, customers, invoices in fetch(con, UNATTEMPTED)
    }
    with_method, without_method = rows.get(True, (0, 0)), rows.get(False, (0, 0))
    details = {
        "customers_with_usable_method": with_method[0],
        "customers_without_usable_method": without_method[0],
        "invoices": with_method[1] + without_method[1],
    }
    if not details["invoices"]:
        return Finding(True, "every open auto-collection invoice has a payment attempt", details)
    return Finding(
        False,
        f"{with_method[0]} customer(s) with a usable payment method and {without_method[0]} "
        "without one have an open auto-collection invoice that was never attempted",
        details,
    )
