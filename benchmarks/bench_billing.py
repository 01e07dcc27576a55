"""Billing benchmarks (issues 3 and 16). Prints wall time and peak memory of each case,
with the goal beside it.

    .venv/bin/python benchmarks/bench_billing.py a   # 100,000 subscribers, 12 months, empty
                                                     # warehouse to the last day
    .venv/bin/python benchmarks/bench_billing.py b   # 1,000,000 subscribers: the single run of
                                                     # the 1st on a warehouse billed through the
                                                     # day before, then the floor: the same
                                                     # day's prorated recurring charges written
                                                     # as numbered invoices and lines by
                                                     # hand-written DuckDB SQL (floor.sql)
    .venv/bin/python benchmarks/bench_billing.py c   # 50,000 subscribers: the run of a 1st
                                                     # after 26 months of history divided by
                                                     # the run of a 1st after 3 months

Peak memory is the larger of this process's and its children's. Every file (inputs,
warehouse, exports) goes to a temporary folder that is deleted afterwards (--keep to keep
it); nothing is written into the working folder. `--work DIR` uses DIR instead and keeps
it: (b) then reuses the inputs and the warehouse prepared through the day before, if DIR
has them from an earlier run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb
from measure import own_process, timed

from fiberbill import run as runner
from fiberbill.samples.generator import NetworkSpec, generate


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
        "(a) fiberbill run, empty warehouse -> 2025-12-31 (goal 60 s)",
        # documents have their own benchmark (bench_documents.py)
        lambda: runner.run(
            work / "a",
            spec.end,
            warehouse=work / "a.duckdb",
            exports=work / "a-exports",
            payments="none",
            documents=False,
        ),
    )
    print(
        f"    run days {result.issued['days']}, invoices {result.mart_counts['invoices']:,}, "
        f"lines {result.mart_counts['invoice_lines']:,}, "
        f"credit notes {result.mart_counts['credit_notes']:,}"
    )


# floor.sql's statements (it has no semicolon but at their ends)
FLOOR = [
    sql
    for sql in Path(__file__).with_name("floor.sql").read_text(encoding="utf-8").split(";")
    if sql.strip()
]


def run_alone(
    label: str, data: Path, through: str, warehouse: Path, exports: Path | None = None
) -> tuple[float, float]:
    """`fiberbill run` in a process of its own (dbt in it): its time and peak memory.
    Exports go to `exports`, else to `exports` beside the warehouse."""
    exports = exports or warehouse.with_name("exports")
    args = [str(Path(sys.executable).with_name("fiberbill")), "run", "--data", str(data)]
    args += ["--through", through, "--warehouse", str(warehouse)]
    args += ["--exports", str(exports), "--payments", "none"]
    args += ["--no-documents"]  # documents have their own benchmark (bench_documents.py)
    elapsed, peak, _ = own_process(label, args)
    return elapsed, peak


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
    if not (work / "b" / "settings.toml").exists():
        timed(
            f"generate {subscribers:,} subscribers, 3 months (own process)",
            lambda: subprocess.run(own_generate, check=True, capture_output=True),
        )
    warehouse, prepared = work / "b.duckdb", work / "b-prepared.duckdb"
    if not prepared.exists():
        run_alone(
            "prepare: bill through 2025-12-31 (not the benchmark)",
            work / "b",
            "2025-12-31",
            warehouse,
        )
        shutil.copyfile(warehouse, prepared)
    shutil.rmtree(work / "exports", ignore_errors=True)
    shutil.copyfile(prepared, warehouse)
    b_time, b_peak = run_alone(
        "(b) fiberbill run of 2026-01-01 alone (goal 10 s, 2 GiB)",
        work / "b",
        "2026-01-01",
        warehouse,
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        issued = con.execute(
            "select count(*) from ledger.invoices where created_date = date '2026-01-01'"
        ).fetchone()[0]
    print(f"    invoices issued on 2026-01-01: {issued:,}")
    idle_time, idle_peak = run_alone(
        "a call with nothing new and no day to run (goal 2 s)",
        work / "b",
        "2026-01-01",
        warehouse,
    )
    floor = work / "floor.duckdb"
    shutil.copyfile(warehouse, floor)  # the floor writes its own tables
    with duckdb.connect(str(floor)) as con:
        _, floor_time = timed(
            "floor: the same day by hand-written SQL (floor.sql)",
            lambda: [con.execute(sql, {"day": date(2026, 1, 1)}) for sql in FLOOR],
        )
        invoices, lines = con.execute("select count(*), sum(lines) from floor_invoices").fetchone()
    print(f"    floor wrote {invoices:,} invoices and {lines:,} lines")
    ratio = b_time / floor_time
    print(
        f"\n{'figure':<44}{'measured':>16}   goal\n"
        f"{'(b) run of a 1st after 3 months':<44}{b_time:>9.1f} s {b_peak:4.2f} GiB"
        f"   <= 10 s, <= 2 GiB\n"
        f"{'(b) / floor':<44}{ratio:>16.0f}   <= 25\n"
        f"{'a call with nothing new, no day to run':<44}{idle_time:>9.1f} s {idle_peak:4.2f} GiB"
        f"   <= 2 s",
        flush=True,
    )


def first_after(work: Path, subscribers: int, months: int) -> tuple[float, float]:
    """The run of the 1st after `months` months of history: a network generated for those
    months, billed through their last day (not measured), then the 1st alone."""
    start = date(2026 - (months + 11) // 12, (-months) % 12 + 1, 1)
    the_1st = date(2026, 1, 1)
    data, warehouse = work / f"c{months}", work / f"c{months}.duckdb"
    exports = work / f"c{months}-exports"  # each network publishes its own specs
    args = [str(Path(sys.executable).with_name("fiberbill")), "generate"]
    args += ["--subscribers", str(subscribers), "--providers", "20", "--seed", "5"]
    args += ["--start", start.isoformat(), "--months", str(months), "--format", "parquet"]
    timed(
        f"generate {subscribers:,} subscribers, {months} months from {start} (own process)",
        lambda: subprocess.run([*args, "--out", str(data)], check=True, capture_output=True),
    )
    run_alone(
        f"prepare: bill {start} .. 2025-12-31 (not the benchmark)",
        data,
        "2025-12-31",
        warehouse,
        exports,
    )
    size = warehouse.stat().st_size / 1e6
    elapsed, peak = run_alone(
        f"the run of {the_1st} after {months} months", data, "2026-01-01", warehouse, exports
    )
    print(f"    warehouse before the run: {size:,.0f} MB")
    return elapsed, peak


def case_c(work: Path, subscribers: int) -> None:
    short, _ = first_after(work, subscribers, 3)
    long, _ = first_after(work, subscribers, 26)
    print(
        f"\n{'figure':<44}{'measured':>16}   goal\n"
        f"{'run of a 1st after 3 months':<44}{short:>14.1f} s\n"
        f"{'run of a 1st after 26 months':<44}{long:>14.1f} s   <= 3 s\n"
        f"{'after 26 months / after 3 months':<44}{long / short:>16.2f}   <= 1.3",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=("a", "b", "c"))
    parser.add_argument("--subscribers", type=int)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--work", type=Path, help="work folder to use and keep (reused)")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        args.keep = True
    work = args.work or Path(tempfile.mkdtemp(prefix="fiberbill-bench-"))
    try:
        if args.case == "a":
            case_a(work, args.subscribers or 100_000)
        elif args.case == "b":
            case_b(work, args.subscribers or 1_000_000)
        else:
            case_c(work, args.subscribers or 50_000)
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
