"""Wholesale specifications: published on the 1st of each month, append-only, like invoices.

What each order's wholesale charges amount to, per month and knowledge version, is derived
by dbt (`intermediate.int_wholesale__by_version`). On each run day that is the 1st, this
module publishes, for every provider, the spec of the month before: a `recurring` line per
order active in it and a `start_fee` line per order first active in it, as known that day,
plus `adjustment` lines (with their original month) wherever news recorded since changed an
earlier month's published amounts. Published lines are never changed. No Dagster import.
"""

from __future__ import annotations

from datetime import date

import duckdb

from fiberbill import relations
from fiberbill.ledger.steps import STEPS
from ingest.loader import fetch
from ingest.settings import Settings

BY_VERSION = relations.WHOLESALE_BY_VERSION


def publish(con: duckdb.DuckDBPyConnection, day: date, settings: Settings) -> int:
    """Publish the specs of the month before `day` (a 1st). Returns the number of specs."""
    previous = date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
    spec_month = previous.strftime("%Y-%m")
    if fetch(con, "select count(*) from ledger.wholesale_specs where spec_month = ?", [spec_month])[
        0
    ][0]:
        return 0  # already published: a spec never changes
    params = {
        "day": day,
        "spec_month": spec_month,
        "operator_name": settings.operator.legal_name,
        "wholesale_terms_days": settings.wholesale_terms_days,
    }
    STEPS.run(con, "90_wholesale_lines", params)
    return STEPS.run(con, "91_wholesale_specs", params)
