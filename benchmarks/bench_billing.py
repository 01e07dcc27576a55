"""Billing benchmarks (issue 3). Prints wall time and peak memory of each case.

    .venv/bin/python benchmarks/bench_billing.py a   # 100,000 subscribers, 12 months, empty
                                                     # warehouse to the last day (goal <= 120 s)
    .venv/bin/python benchmarks/bench_billing.py b   # 1,000,000 subscribers: the single run of
                                                     # the 1st on a warehouse billed through the
                                                     # day before (goal <= 60 s, <= 6 GiB),
                                                     # then (c) the same day's recurring
                                                     # charges as one hand-written query

Peak memory is the larger of this process's and its children's (dbt runs as a child).
Work files go to a temporary folder that is deleted afterwards (--keep to keep it).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from fiberbill import run as runner
from fiberbill.samples.generator import NetworkSpec, generate


def peak_gib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024 / 1024


def timed(label: str, fn):
    began = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - began
    print(f"{label:<58}{elapsed:>9.1f} s   peak {peak_gib():.2f} GiB", flush=True)
    return result, elapsed


def case_a(work: Path, subscribers: int) -> None:
    spec = NetworkSpec(
        subscribers=subscribers,
        providers=20,
        start=date(2025, 1, 1),
        months=12,
        seed=3,
        file_format="parquet",
    )
    timed(f"generate {subscribers:,} subscribers, 12 months", lambda: generate(spec, work / "a"))
    result, _ = timed(
        "(a) fiberbill run, empty warehouse -> 2025-12-31 (goal 120 s)",
        # documents have their own benchmark (bench_documents.py)
        lambda: runner.run(
            work / "a", spec.end, warehouse=work / "a.duckdb", payments="none", documents=False
        ),
    )
    print(
        f"    run days {result.issued['days']}, invoices {result.mart_counts['invoices']:,}, "
        f"lines {result.mart_counts['invoice_lines']:,}, "
        f"credit notes {result.mart_counts['credit_notes']:,}"
    )


HAND_WRITTEN = """
-- (c) the recurring charges due on one 1st of the month, as one query: every order active
-- on the 1st, full month at the price valid that day, nothing else (no knowledge versions,
-- proration, promotions, corrections or documents).
select o.customer_id, o.order_id, p.monthly_price * 100 as amount_cents
from raw.orders o
join (select order_id, arg_max(event, occurred_at) as state
      from raw.activation_events where cast(occurred_at as date) <= $day
      group by order_id) a using (order_id)
join raw.products p on p.product_id = o.product_id
where a.state = 'activated'
    and p.valid_from = (select max(valid_from) from raw.products p2
                        where p2.product_id = p.product_id and p2.valid_from <= $day)
    and o.order_id not in (select order_id from raw.order_events
                           where cast(effective_at as date) <= $day)
"""


def own_process(label: str, data: Path, through: str, warehouse: Path) -> float:
    """`fiberbill run` in a process of its own, so the peak memory printed is its own (dbt
    children included). This process stays small: Linux children inherit the parent's peak."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("fiberbill")),
            "run",
            "--data",
            str(data),
            "--through",
            through,
            "--warehouse",
            str(warehouse),
            "--payments",
            "none",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - began
    assert status == 0, out
    print(
        f"{label:<58}{elapsed:>9.1f} s   peak {usage.ru_maxrss / 1024 / 1024:.2f} GiB", flush=True
    )
    return elapsed


def case_b(work: Path, subscribers: int) -> None:
    spec = NetworkSpec(
        subscribers=subscribers,
        providers=20,
        start=date(2025, 10, 1),
        months=3,
        seed=5,
        file_format="parquet",
    )
    fiberbill = str(Path(sys.executable).with_name("fiberbill"))
    own_generate = [
        fiberbill,
        "generate",
        "--subscribers",
        str(subscribers),
        "--providers",
        "20",
        "--start",
        spec.start.isoformat(),
        "--months",
        "3",
        "--seed",
        "5",
        "--format",
        "parquet",
        "--out",
        str(work / "b"),
    ]
    # every step in a process of its own: a child starts with its parent's peak memory
    timed(
        f"generate {subscribers:,} subscribers, 3 months (own process)",
        lambda: subprocess.run(own_generate, check=True, capture_output=True),
    )
    warehouse = work / "b.duckdb"
    own_process(
        "prepare: bill through 2025-12-31 (not the benchmark)", work / "b", "2025-12-31", warehouse
    )
    b_time = own_process(
        "(b) fiberbill run of 2026-01-01 alone (goal 60 s, 6 GiB)",
        work / "b",
        "2026-01-01",
        warehouse,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        issued = con.execute(
            "select count(*) from ledger.invoices where created_date = date '2026-01-01'"
        ).fetchone()[0]
    print(f"    invoices issued on 2026-01-01: {issued:,}")
    con = duckdb.connect(str(warehouse), read_only=True)
    rows, c_time = timed(
        "(c) one hand-written query of that day's recurring charges",
        lambda: con.execute(HAND_WRITTEN, {"day": date(2026, 1, 1)}).fetchall(),
    )
    con.close()
    print(f"    rows {len(rows):,}; ratio (b)/(c) = {b_time / c_time:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=("a", "b"))
    parser.add_argument("--subscribers", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fiberbill-bench-"))
    try:
        if args.case == "a":
            case_a(work, args.subscribers or 100_000)
        else:
            case_b(work, args.subscribers or 1_000_000)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
