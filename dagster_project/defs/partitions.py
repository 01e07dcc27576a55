"""Partitions of the billing cycle, in the operator's timezone.

A daily partition is a run day: materializing it is `fiberbill run --through <day>`. A
monthly partition is a wholesale spec month, exported after its spec is made on the 1st
of the next month. Today's day is a partition (end_offset=1), so an activation arriving
today can be billed today.
"""

from __future__ import annotations

import os
from datetime import date, datetime

import dagster as dg

from ingest.errors import InputError
from ingest.settings import load_settings

DEFAULT_FIRST_DAY = "2025-01-01"
# Runs that write the warehouse carry this tag; the instance lets one of them run at a time.
WRITER_TAG = {"fiberbill/warehouse": "writer"}


def operator_timezone() -> str:
    """FIBERBILL_TIMEZONE, else the input folder's settings.toml, else UTC."""
    if os.environ.get("FIBERBILL_TIMEZONE"):
        return os.environ["FIBERBILL_TIMEZONE"]
    data_dir = os.environ.get("FIBERBILL_DATA_DIR")
    if data_dir:
        try:
            return load_settings(data_dir).timezone
        except (InputError, OSError):
            pass
    return "UTC"


def first_day() -> str:
    return os.environ.get("FIBERBILL_FIRST_DAY") or DEFAULT_FIRST_DAY


TIMEZONE = operator_timezone()
billing_days = dg.DailyPartitionsDefinition(start_date=first_day(), timezone=TIMEZONE, end_offset=1)
spec_months = dg.MonthlyPartitionsDefinition(start_date=first_day()[:7] + "-01", timezone=TIMEZONE)


def run_day(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    """The last run day of this materialization: the partition, or the end of a backfill's
    range (a backfill is one run, carrying out every day in order, like `--through`)."""
    return date.fromisoformat(context.partition_key_range.end)


def today_in(timezone: str, now: datetime | None = None) -> date:
    from zoneinfo import ZoneInfo

    return (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()
