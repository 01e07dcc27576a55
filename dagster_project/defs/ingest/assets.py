"""Raw ingest assets: the input folder loaded into the warehouse's `raw` schema."""

import dagster as dg

from dagster_project.defs.partitions import Cycle, run_day
from dagster_project.resources import FiberbillResource
from fiberbill.run import execute
from ingest.loader import connect, fetch
from ingest.schema import TABLES

# Bookkeeping tables written by every load, read by dbt as sources too.
LOAD_TABLES = (
    "load_batches",
    "load_counts",
    "loaded_files",
    "rejected_rows",
    "waiting_rows",
    "released_rows",
)
RAW_TABLES = tuple(t.name for t in TABLES) + LOAD_TABLES


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


def raw_inputs(context: dg.AssetExecutionContext, fiberbill: FiberbillResource):
    """Read the input folder's new files, quarantine bad rows and append the rest to `raw`:
    the load step of `fiberbill run` (fiberbill/run.py), one transaction committed only
    when the load succeeded."""
    call = fiberbill.call(run_day(context), context.log.info)
    report = execute(call, ("load",), command="dagster load").report
    counts = {c.table: c for c in report.counts}
    results = []
    with connect(fiberbill.warehouse_path, read_only=True) as con:
        for name in RAW_TABLES:
            rows = fetch(con, f"select count(*) from raw.{name}")[0][0]
            metadata = {"dagster/row_count": dg.MetadataValue.int(rows)}
            if name in counts:
                c = counts[name]
                metadata |= {
                    "rows_in": c.rows_in,
                    "accepted": c.accepted,
                    "new": c.new,
                    "rejected": c.rejected,
                    "warnings": c.warnings,
                }
            results.append(dg.MaterializeResult(asset_key=raw_key(name), metadata=metadata))
    yield from results  # once the load is in the warehouse
    context.log.info(
        f"load {'added rows' if report.changed else 'added nothing'}; "
        f"{report.rejected} rejected, {report.warnings} warnings"
    )


def definitions(cycle: Cycle) -> dg.Definitions:
    """The ingest domain: the raw tables, one multi-asset partitioned by run day."""
    asset = dg.multi_asset(
        specs=[
            dg.AssetSpec(
                raw_key(name),
                group_name="ingest",
                kinds={"duckdb", "polars"},
                description=f"Input table `{name}` as loaded into `raw.{name}`.",
            )
            for name in RAW_TABLES
        ],
        can_subset=False,
        partitions_def=cycle.billing_days,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )(raw_inputs)
    return dg.Definitions(assets=[asset])
