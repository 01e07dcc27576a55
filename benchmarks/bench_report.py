"""Finance report benchmark (issue 15): the dashboard of one day on a 100,000-subscriber
warehouse with 12 months of history, the finance marts included (goal <= 30 s).

    .venv/bin/python benchmarks/bench_report.py [--subscribers N] [--keep]

Prepares (not measured) a warehouse billed day by day through 2025-12-31, without Stripe
and without documents. Then measures, each on its own:
  1. dbt build of the finance models (staging of the ledger's receipts, the finance
     intermediates, the finance marts, with their data tests), which every run rebuilds;
  2. `fiberbill report` of one day (2025-12-31, then 2025-06-30): figures, charts, pages.
The figure the goal is about is 1 + 2. Work files go to a temporary folder that is deleted
afterwards (--keep keeps it).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date
from pathlib import Path

import duckdb
from measure import timed

from exports.dashboard import write_dashboard
from fiberbill import run as runner
from fiberbill.dbt import run_dbt
from fiberbill.samples.generator import NetworkSpec, generate
from ingest.settings import load_settings

GOAL_SECONDS = 30.0
# the finance models and what only they read, as dbt selectors
FINANCE = (
    "path:models/intermediate/finance",
    "path:models/marts/finance",
    "stg_ledger__received_events",
    "stg_ledger__credit_allocations",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fiberbill-bench-report-"))
    try:
        spec = NetworkSpec(
            subscribers=args.subscribers,
            providers=20,
            start=date(2025, 1, 1),
            months=12,
            seed=3,
            file_format="parquet",
        )
        timed(
            f"prepare: generate {args.subscribers:,} subscribers, 12 months",
            lambda: generate(spec, work / "data"),
        )
        warehouse = work / "wh.duckdb"
        timed(
            "prepare: fiberbill run -> 2025-12-31 (no Stripe, no documents)",
            lambda: runner.run(
                work / "data",
                spec.end,
                warehouse=warehouse,
                exports=work / "exports",
                payments="none",
                documents=False,
            ),
        )
        settings = load_settings(work / "data")
        dbt_vars = runner.model_vars(settings, spec.end, spec.end)
        nodes, marts = timed(
            "1. dbt build: finance models and their tests",
            lambda: run_dbt("build", warehouse, dbt_vars, select=FINANCE),
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            (rows,) = con.execute("select count(*) from marts.invoice_standing_history").fetchone()
            (invoices,) = con.execute("select count(*) from marts.invoices").fetchone()
        print(f"    {nodes} dbt nodes; {invoices:,} invoices, {rows:,} standing spans")
        for day in (spec.end, date(2025, 6, 30)):
            _, report = timed(
                f"2. fiberbill report --as-of {day}",
                lambda day=day: write_dashboard(warehouse, day, work / "reports" / str(day)),
            )
            total = marts + report
            verdict = "met" if total <= GOAL_SECONDS else "MISSED"
            print(f"   1 + 2 = {total:.1f} s (goal {GOAL_SECONDS:.0f} s: {verdict})", flush=True)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
