"""Raw ingest assets: the input folder loaded into the warehouse's `raw` schema."""

import dagster as dg
import duckdb

from dagster_project.resources import FiberbillResource
from dagster_project.runner import first_run_day
from ingest.loader import fetch, load_all, loaded_files, read_inputs
from ingest.schema import TABLES

# Bookkeeping tables written by every load, read by dbt as sources too.
LOAD_TABLES = ("load_batches", "load_counts", "loaded_files", "rejected_rows")
RAW_TABLES = tuple(t.name for t in TABLES) + LOAD_TABLES


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


@dg.multi_asset(
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
)
def raw_inputs(context: dg.AssetExecutionContext, fiberbill: FiberbillResource):
    """Read every input file, quarantine bad rows and append the rest to `raw`."""
    settings = fiberbill.settings()
    fiberbill.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(fiberbill.warehouse_path)) as con:
        first_day = first_run_day(con)
        inputs = read_inputs(fiberbill.data_path, loaded_files(con))
        report = load_all(con, inputs, settings, str(fiberbill.data_path), first_day)
        counts = {c.table: c for c in report.counts}
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
            yield dg.MaterializeResult(asset_key=raw_key(name), metadata=metadata)
    context.log.info(
        f"load {'added rows' if report.changed else 'added nothing'}; "
        f"{report.rejected} rejected, {report.warnings} warnings"
    )
