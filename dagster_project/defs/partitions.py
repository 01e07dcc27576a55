"""The billing calendar of one installation: its timezone and first day, and the partitions
built from them.

A daily partition is a run day: materializing it is `fiberbill run --through <day>`. A
monthly partition is a wholesale spec month, exported after its spec is made on the 1st
of the next month. Today's day is a partition (end_offset=1), so an activation arriving
today can be billed today.

Nothing here reads the environment when it is imported: `Cycle.from_environment()` is
called when Dagster loads the definitions (dagster_project/definitions.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

import dagster as dg

from ingest.errors import InputError
from ingest.settings import load_settings

DEFAULT_FIRST_DAY = "2025-01-01"
# Runs that write the warehouse carry this tag; the instance lets one of them run at a time.
WRITER_TAG = {"fiberbill/warehouse": "writer"}


@dataclass(frozen=True)
class Cycle:
    """The operator's timezone and the first partition day."""

    timezone: str = "UTC"
    first_day: str = DEFAULT_FIRST_DAY

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Cycle:
        """FIBERBILL_TIMEZONE, else the input folder's settings.toml, else UTC; and
        FIBERBILL_FIRST_DAY, else 2025-01-01."""
        return cls(
            timezone=environ.get("FIBERBILL_TIMEZONE") or _settings_timezone(environ),
            first_day=environ.get("FIBERBILL_FIRST_DAY") or DEFAULT_FIRST_DAY,
        )

    @cached_property
    def billing_days(self) -> dg.DailyPartitionsDefinition:
        return dg.DailyPartitionsDefinition(
            start_date=self.first_day, timezone=self.timezone, end_offset=1
        )

    @cached_property
    def spec_months(self) -> dg.MonthlyPartitionsDefinition:
        return dg.MonthlyPartitionsDefinition(
            start_date=self.first_day[:7] + "-01", timezone=self.timezone
        )

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()


def _settings_timezone(environ: Mapping[str, str]) -> str:
    data_dir = environ.get("FIBERBILL_DATA_DIR")
    if data_dir:
        try:
            return load_settings(data_dir).timezone
        except (InputError, OSError):
            pass
    return "UTC"


def run_day(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    """The last run day of this materialization: the partition, or the end of a backfill's
    range (a backfill is one run, carrying out every day in order, like `--through`)."""
    return date.fromisoformat(context.partition_key_range.end)
