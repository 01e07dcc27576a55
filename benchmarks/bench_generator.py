"""Time and peak memory of the sample network generator.

    .venv/bin/python benchmarks/bench_generator.py [--subscribers 1000000] [--months 12]

Writes Parquet to a temporary folder (deleted afterwards) and prints wall time, rows written,
bytes written and peak RSS. Goal (issue 2): 1,000,000 subscribers over 12 months in < 90 s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from fiberbill.samples.generator import NetworkSpec, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    spec = NetworkSpec(
        subscribers=args.subscribers,
        providers=args.providers,
        start=date(2025, 1, 1),
        months=args.months,
        seed=1,
        file_format="parquet",
    )
    out = Path(tempfile.mkdtemp(prefix="fiberbill-bench-gen-"))
    try:
        began = time.perf_counter()
        counts = generate(spec, out)
        elapsed = time.perf_counter() - began
        size = sum(p.stat().st_size for p in out.iterdir())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"subscribers        {args.subscribers:>14,}")
    print(f"months             {args.months:>14}")
    for table, rows in counts.items():
        print(f"rows {table:<14}{rows:>14,}")
    print(f"bytes written      {size:>14,}")
    print(f"wall time (s)      {elapsed:>14.1f}   goal < 90")
    print(f"peak RSS (MiB)     {peak_mib:>14,.0f}")


if __name__ == "__main__":
    main()
