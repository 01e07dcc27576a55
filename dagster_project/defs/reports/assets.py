"""The finance dashboard (exports/dashboard.py) as Dagster assets, after the finance marts:
one per run day, `<exports>/reports/<day>/`, and one per month, as of the month's last run
day, `<exports>/reports/<YYYY-MM>/`. Each shows what was known at the end of its day, so
materializing a past partition again writes the same files."""

import calendar
import json
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from dagster_project.defs.partitions import Cycle, run_day
from dagster_project.resources import FiberbillResource
from exports.dashboard import last_report_day, write_dashboard

MARTS = (
    "finance_daily",
    "finance_provider_daily",
    "finance_month_to_date",
    "finance_monthly",
    "receivables_ageing_daily",
    "invoice_standing_history",
    "collection_daily",
    "revenue_leakage_daily",
    "wholesale_specs",
    "customers",
)
DAILY_REPORT = dg.AssetKey(["reports", "finance_dashboard"])
MONTHLY_REPORT = dg.AssetKey(["reports", "finance_dashboard_monthly"])


def _write(fiberbill: FiberbillResource, day: date, name: str) -> dg.MaterializeResult:
    folder = Path(fiberbill.exports_path) / "reports" / name
    index = write_dashboard(fiberbill.warehouse_path, day, folder)
    # the figures the pages show, as written (not computed a second time)
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    metadata: dict[str, object] = {
        "index": dg.MetadataValue.path(str(index)),
        "as_of": day.isoformat(),
    }
    for currency, by in figures["by_currency"].items():
        kpis = {k["key"]: k["value"] for k in by["kpis"]}
        metadata[f"mrr_{currency}"] = str(kpis["mrr"])
        metadata[f"receivables_{currency}"] = str(kpis["receivables"])
    return dg.MaterializeResult(metadata=metadata)


def daily_dashboard(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource
) -> dg.MaterializeResult:
    """Every day of the partition range (a backfill is one run) gets its own dashboard; the
    metadata is the last day's."""
    day, last = date.fromisoformat(context.partition_key_range.start), run_day(context)
    while day < last:
        _write(fiberbill, day, day.isoformat())
        day += timedelta(days=1)
    return _write(fiberbill, last, last.isoformat())


def monthly_dashboard(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource
) -> dg.MaterializeResult:
    first = date.fromisoformat(context.partition_key)
    end = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    last = last_report_day(fiberbill.warehouse_path)
    day = min(end, last)
    if day < first:
        raise dg.Failure(f"{first:%Y-%m}: no run day in this month yet (the last is {last})")
    return _write(fiberbill, day, f"{first:%Y-%m}")


def definitions(cycle: Cycle) -> dg.Definitions:
    """The reports domain: the finance dashboard of each run day and of each month."""
    deps = [dg.AssetKey(["marts", m]) for m in MARTS]
    daily = dg.asset(
        key=DAILY_REPORT,
        group_name="reports",
        kinds={"html", "json"},
        partitions_def=cycle.billing_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=deps,
        description="<exports>/reports/<day>/: the finance dashboard of the run day "
        "(index.html and five more pages, figures.json), as known at the end of that day.",
    )(daily_dashboard)
    monthly = dg.asset(
        key=MONTHLY_REPORT,
        group_name="reports",
        kinds={"html", "json"},
        partitions_def=cycle.spec_months,
        deps=deps,
        description="<exports>/reports/<YYYY-MM>/: the finance dashboard as of the month's "
        "last run day.",
    )(monthly_dashboard)
    return dg.Definitions(assets=[daily, monthly])
