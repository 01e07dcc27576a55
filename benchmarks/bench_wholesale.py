"""Wholesale benchmark (issue 5): build and export one month's specs for 1,000,000
subscribers across 20 providers. Goal: <= 30 s.

    .venv/bin/python benchmarks/bench_wholesale.py [--subscribers 1000000] [--keep]

Preparation (not timed): generate the network (Oct-Dec 2025) and bill it through Nov 30,
publishing the October specs on Nov 1. Timed, on the 1st of December, each step of making
November's specs: the dbt build of the wholesale amounts and marts, publishing the specs
into the ledger, and writing the files (spec.parquet, spec.csv, summary.html,
manifest.json per provider).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exports.wholesale import export_specs  # noqa: E402
from fiberbill import run as runner
from fiberbill.dbt import run_dbt  # noqa: E402
from fiberbill.ledger import wholesale  # noqa: E402
from fiberbill.samples.generator import NetworkSpec, generate  # noqa: E402


def timed(label: str, fn):
    began = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - began
    print(f"{label:<60}{elapsed:>8.1f} s", flush=True)
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fiberbill-bench-wholesale-"))
    try:
        spec = NetworkSpec(
            subscribers=args.subscribers,
            providers=20,
            start=date(2025, 10, 1),
            months=3,
            seed=5,
            file_format="parquet",
        )
        data, warehouse = work / "data", work / "wh.duckdb"
        timed(f"prepare: generate {args.subscribers:,} subscribers", lambda: generate(spec, data))
        timed(
            "prepare: bill through 2025-11-30 (October specs made Nov 1)",
            lambda: runner.run(
                data,
                date(2025, 11, 30),
                warehouse=warehouse,
                exports=work / "exports",
                payments="none",
                documents=False,  # documents have their own benchmark
            ),
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            settings, dbt_vars = runner.read_run_settings(con)
        dbt_vars = dbt_vars | {"through": "2025-12-01"}
        day = date(2025, 12, 1)
        _, t1 = timed(
            "dbt: wholesale amounts per order, month and version",
            lambda: run_dbt("build", warehouse, dbt_vars, select=["int_wholesale__by_version"]),
        )

        def publish():
            with duckdb.connect(str(warehouse)) as con:
                return wholesale.publish(con, day, settings)

        published, t2 = timed("publish November's specs into the ledger", publish)
        _, t3 = timed(
            "dbt: marts.wholesale_spec_lines and wholesale_specs",
            lambda: run_dbt(
                "build", warehouse, dbt_vars, select=["wholesale_spec_lines", "wholesale_specs"]
            ),
        )
        exports = work / "exports"
        counts, t4 = timed(
            "export the files of every spec", lambda: export_specs(warehouse, exports)
        )
        with duckdb.connect(str(warehouse), read_only=True) as con:
            lines = con.execute(
                "select count(*) from marts.wholesale_spec_lines where spec_month = '2025-11'"
            ).fetchone()[0]
        print(f"    November: {published} specs, {lines:,} lines; files written for {counts}")
        print(f"total (goal 30 s){'':<43}{t1 + t2 + t3 + t4:>8.1f} s")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
