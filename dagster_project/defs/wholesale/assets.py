"""Wholesale specification files, one monthly partition per spec month. A month's specs
are made by the billing run of the 1st of the next month; this asset writes their files
(exports/wholesale.py, as `fiberbill run` does) and its check verifies every manifest."""

from datetime import date

import dagster as dg

from dagster_project.defs.partitions import Cycle
from dagster_project.resources import FiberbillResource
from exports.wholesale import verify_exports
from fiberbill import ledger
from fiberbill.run import execute
from ingest.loader import connect, fetch

WHOLESALE_EXPORTS = dg.AssetKey(["exports", "wholesale_specs"])


def _month(context) -> str:
    return context.partition_key[:7]


def made_on(month: str) -> date:
    year, mon = map(int, month.split("-"))
    return date(year + mon // 12, mon % 12 + 1, 1)


def wholesale_exports(
    context: dg.AssetExecutionContext, fiberbill: FiberbillResource
) -> dg.MaterializeResult:
    month = _month(context)
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        last = ledger.last_run_day(con)
        if last is None or last < made_on(month):
            raise dg.Failure(
                f"the specs of {month} are made by the billing run of {made_on(month)}; the "
                f"last run day is {last or 'none yet'}: materialize billing day "
                f"{made_on(month)} first"
            )
        by_currency = fetch(
            con,
            "select currency, count(*), sum(line_count), cast(sum(total) as varchar) "
            "from marts.wholesale_specs where spec_month = ? group by currency order by 1",
            [month],
        )
    # the export step of `fiberbill run` (fiberbill/run.py), for this month only
    call = fiberbill.call(made_on(month), context.log.info, export_months=[month])
    issued = execute(call, ("export",), command="dagster export").issued
    counts = {k: issued.get(f"exports_{k}", 0) for k in ("written", "unchanged")}
    metadata = {
        "specs": sum(n for _, n, _, _ in by_currency),
        "dagster/row_count": sum(lines for _, _, lines, _ in by_currency),
        "written": counts["written"],
        "unchanged": counts["unchanged"],
        "folder": dg.MetadataValue.path(str(fiberbill.exports_path / "wholesale")),
    }
    metadata |= {f"total_{currency}": total for currency, _, _, total in by_currency}
    return dg.MaterializeResult(metadata=metadata)


@dg.asset_check(
    asset=WHOLESALE_EXPORTS,
    name="manifests_match_files",
    description="Every spec of this month and the months before has its folder, each file "
    "has the sha256 its manifest gives, and the manifest still names the published spec.",
)
def manifests_match_files(
    context: dg.AssetCheckExecutionContext, fiberbill: FiberbillResource
) -> dg.AssetCheckResult:
    # every month exported so far: this partition's and the ones before it
    through = _month(context) if context.has_partition_key else "9999-12"
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        months = [
            m
            for (m,) in fetch(
                con,
                "select distinct spec_month from marts.wholesale_specs where spec_month <= ?",
                [through],
            )
        ]
    checked, problems = verify_exports(fiberbill.warehouse_path, fiberbill.exports_path, months)
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={"specs_checked": checked, "problems": "\n".join(problems) or "none"},
    )


def definitions(cycle: Cycle) -> dg.Definitions:
    """The wholesale domain: each spec month's files, and the check of every manifest."""
    exports = dg.asset(
        key=WHOLESALE_EXPORTS,
        group_name="wholesale",
        kinds={"parquet", "csv", "html"},
        partitions_def=cycle.spec_months,
        deps=[
            dg.AssetKey(["marts", "wholesale_specs"]),
            dg.AssetKey(["marts", "wholesale_spec_lines"]),
        ],
        description="Each provider's spec of the month: spec.parquet, spec.csv, summary.html and "
        "manifest.json under <exports>/wholesale/<provider_id>/<YYYY-MM>/.",
    )(wholesale_exports)
    return dg.Definitions(assets=[exports], asset_checks=[manifests_match_files])
