"""Asset checks beyond the dbt tests (fiberbill/ledger/checks.py holds the queries)."""

import dagster as dg

from dagster_project.defs.billing.assets import ledger_key
from dagster_project.resources import FiberbillResource, StripeResource
from fiberbill.ledger import checks
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
    asset=ledger_key("invoices"),
    name="numbering_is_gapless",
    description="Invoice and credit note numbers run 1, 2, 3, ... per prefix and year.",
)
def numbering_is_gapless(fiberbill: FiberbillResource) -> dg.AssetCheckResult:
    return _result(_read(fiberbill, checks.numbering_gaps))


@dg.asset_check(
    asset=MARTS_INVOICES,
    name="ledger_totals_match_marts",
    additional_deps=[dg.AssetKey(["marts", "credit_notes"])],
    description="Invoice lines, tax, invoice count, credit notes and wholesale lines: the "
    "same cents in the ledger and the marts.",
)
def ledger_totals_match_marts(fiberbill: FiberbillResource) -> dg.AssetCheckResult:
    return _result(_read(fiberbill, checks.ledger_matches_marts))


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
