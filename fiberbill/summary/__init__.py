"""The run summary's money: per currency, what a call invoiced, credited, collected through
Stripe and received by hand, and what is late when it ends (sql/10_money.sql). Read from
the marts the call built. No Dagster import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from fiberbill.sqlfiles import SqlFiles

SQL = SqlFiles(Path(__file__).with_name("sql"))


def money(con: duckdb.DuckDBPyConnection, since: date | None, through: date) -> list[dict]:
    """One row per currency; `since` None (no run day in the call) counts only what is
    late."""
    return SQL.records(con, "10_money", {"since": since or date.max, "through": through})
