"""Invoice and credit-note documents, one daily partition per issue day: the PDF and HTML
of every number issued that day (fiberbill/documents, as `fiberbill run` renders them),
rendered if missing and verified against their recorded sha256 otherwise."""

from datetime import date

import dagster as dg

from dagster_project.defs.partitions import Cycle
from dagster_project.resources import FiberbillResource
from fiberbill import ledger
from fiberbill.run import render
from ingest.loader import connect

DOCUMENTS = dg.AssetKey(["exports", "documents"])


def documents(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource
) -> dg.MaterializeResult:
    # a backfill is one run of its whole range (like the billing assets)
    days = context.partition_key_range
    first, day = date.fromisoformat(days.start), date.fromisoformat(days.end)
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        last = ledger.last_run_day(con)
    if last is None or last < day:
        raise dg.Failure(
            f"the documents of {day} exist once billing day {day} has run; the last run day "
            f"is {last or 'none yet'}: materialize billing day {day} first"
        )
    counts = render(
        fiberbill.warehouse_path,
        fiberbill.exports_path,
        since=first,
        until=day,
        progress=context.log.info,
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": sum(counts.values()),
            **counts,
            "folder": dg.MetadataValue.path(str(fiberbill.exports_path / "documents")),
        }
    )


def definitions(cycle: Cycle) -> dg.Definitions:
    """The documents domain: each issue day's invoice and credit-note documents."""
    asset = dg.asset(
        key=DOCUMENTS,
        group_name="documents",
        kinds={"pdf", "html"},
        partitions_def=cycle.billing_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetKey(["marts", "invoices"]), dg.AssetKey(["marts", "credit_notes"])],
        description="The PDF and HTML document of every invoice and credit note issued on the "
        "day, under <exports>/documents/<YYYY>/<customer_id>/<number>.pdf and .html: rendered "
        "once and recorded with their sha256 in ledger.documents; a file that differs from its "
        "record fails the materialization.",
    )(documents)
    return dg.Definitions(assets=[asset])
