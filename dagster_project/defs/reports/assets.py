"""The finance report of each billing day (exports/reports.py), after the marts."""

import dagster as dg

from dagster_project.defs.partitions import Cycle, run_day
from dagster_project.resources import FiberbillResource
from exports.reports import write_billing_run_report

MARTS = ("invoices", "credit_notes", "payments", "receivables_ageing", "revenue_assurance")


def billing_run_report(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource
) -> dg.MaterializeResult:
    day = run_day(context)
    folder, sections = write_billing_run_report(
        fiberbill.warehouse_path, fiberbill.exports_path, day
    )
    metadata: dict[str, object] = {"folder": dg.MetadataValue.path(str(folder))}
    for row in sections["issued_today"]:
        metadata[f"issued_{row['currency']}"] = f"{row['invoices']} invoices, {row['total']}"
    for row in sections["revenue_assurance"]:
        metadata[f"assurance_{row['finding']}"] = row["findings"]
    return dg.MaterializeResult(metadata=metadata)


def definitions(cycle: Cycle) -> dg.Definitions:
    """The reports domain: the finance report of each run day."""
    report = dg.asset(
        key=dg.AssetKey(["reports", "billing_run"]),
        group_name="reports",
        kinds={"html", "json"},
        partitions_def=cycle.billing_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(["marts", m]) for m in MARTS],
        description="<exports>/reports/<day>/billing-run.html and .json: invoices, credit notes "
        "and payments of the day, invoices by status, receivables ageing, revenue assurance.",
    )(billing_run_report)
    return dg.Definitions(assets=[report])
