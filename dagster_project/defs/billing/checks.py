"""Asset checks beyond the dbt tests (fiberbill/collection/checks.py holds the query)."""

import dagster as dg

from dagster_project.resources import FiberbillResource, StripeResource
from fiberbill.collection import checks
from ingest.loader import connect

MARTS_INVOICES = dg.AssetKey(["marts", "invoices"])


def _result(finding: checks.Finding, severity=dg.AssetCheckSeverity.ERROR):
    return dg.AssetCheckResult(
        passed=finding.passed,
        severity=severity,
        description=finding.summary,
        metadata={"summary": finding.summary, **finding.details},
    )


def _read(fiberbill: FiberbillResource, check, *args) -> checks.Finding:
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        return check(con, *args)


@dg.asset_check(
    asset=MARTS_INVOICES,
    name="auto_collection_attempted",
    additional_deps=[dg.AssetKey(["marts", "customers"])],
    description="No customer with automatic collection has an open invoice that Stripe was "
    "never asked to collect.",
)
def auto_collection_attempted(
    fiberbill: FiberbillResource, stripe: StripeResource
) -> dg.AssetCheckResult:
    return _result(
        _read(fiberbill, checks.unattempted_auto_invoices, stripe.collecting),
        severity=dg.AssetCheckSeverity.WARN,
    )
