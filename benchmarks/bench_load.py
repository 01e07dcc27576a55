"""First load benchmark (issue 16): a generated network's input folder loaded into an empty
warehouse (read, validated, appended to `raw`), nothing else, in a process of its own so
the peak memory printed is the load's.

    .venv/bin/python benchmarks/bench_load.py [--subscribers 1000000] [--format parquet]
                                              [--keep]

Work files go to a temporary folder that is deleted afterwards (--keep keeps it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import own_process

GOAL = "<= 45 s, <= 3 GiB"
# the load step alone, as a call makes it (fiberbill/run.py load_inputs)
LOAD = """
import sys
from pathlib import Path
from fiberbill.run import load_inputs
from ingest.loader import connect
from ingest.settings import load_settings
data, warehouse = Path(sys.argv[1]), Path(sys.argv[2])
with connect(warehouse) as con:
    report, _ = load_inputs(con, data, load_settings(data))
    rows = sum(c.rows_in for c in report.counts)
    print(f"{rows:,} rows in, {report.rejected:,} rejected")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fiberbill-bench-load-"))
    fiberbill = str(Path(sys.executable).with_name("fiberbill"))
    try:
        began = time.perf_counter()
        subprocess.run(
            [fiberbill, "generate", "--subscribers", str(args.subscribers), "--providers", "20"]
            + ["--start", "2025-01-01", "--months", "12", "--seed", "3"]
            + ["--format", args.format, "--out", str(work / "data")],
            check=True,
            capture_output=True,
        )
        print(f"{'prepare: generate (not measured)':<52}{time.perf_counter() - began:>8.1f} s")
        label = f"first load, {args.subscribers:,} subscribers ({args.format})"
        _, _, out = own_process(
            label, [sys.executable, "-c", LOAD, str(work / "data"), str(work / "wh.duckdb")], 52
        )
        print(f"    goal {GOAL}")
        print(f"    {out.strip()}")
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
