"""Documents benchmark (issue 13): how fast invoice documents are rendered.

    .venv/bin/python benchmarks/bench_documents.py [--subscribers 100000] [--sample 200]
                                                  [--keep]

1. Side by side, one process, the same invoice view: Typst (what fiberbill uses) and
   WeasyPrint (the HTML printed to PDF; measured only when `weasyprint` is installed:
   `.venv/bin/pip install weasyprint==70.0`), in documents per second.
2. One monthly run's documents: a generated network of --subscribers customers billed
   through the last day of a month without documents (not timed), then the run of the 1st
   (timed, documents off), then `fiberbill documents render` of that day (timed): the
   documents per second, and the peak memory of the process that renders them.
   Goal: at most 10 minutes for 100,000 subscribers (about 170 documents per second), with
   memory flat in the number of documents.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fiberbill.documents import Renderer, present  # noqa: E402
from fiberbill.samples.generator import NetworkSpec, generate  # noqa: E402
from ingest.settings import Operator  # noqa: E402

CLI = str(REPO / ".venv" / "bin" / "fiberbill")
MEASURED = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def sample_view(number: int) -> dict:
    """A typical invoice: start fee, a prorated month, a promotion, 25 % tax."""
    row = {
        "document_number": f"INV-2026-{number:06d}",
        "customer_id": f"C{number:07d}",
        "currency": "EUR",
        "issue_date": date(2026, 1, 10),
        "due_date": date(2026, 1, 24),
        "subtotal": Decimal("141.58"),
        "discount_total": Decimal("21.29"),
        "tax_total": Decimal("30.07"),
        "total": Decimal("150.36"),
        "collection_method": "auto",
        "customer_name": "Dora Schmidt",
        "customer_email": "dora@example.de",
        "country": "DE",
        "customer_address": "Hauptstraße 5; 10115 Berlin",
        "payment_method_type": "sepa_debit",
        "payment_method_last4": "3000",
        "paid_at_issue": Decimal("0.00"),
        "due_at_issue": Decimal("150.36"),
        "lines": [
            {"description": "Start fee: Fiber 500 (order O1)", "days": None,
             "period_days": None, "amount": Decimal("99.00")},
            {"description": "Fiber 500 (order O1), 10 Jan 2026 – 31 Jan 2026, prorated: "
             "22 of 31 days", "days": 22, "period_days": 31, "amount": Decimal("42.58")},
            {"description": "Promotion HALF3, 50 % off: Fiber 500 (order O1), 10 Jan 2026 – "
             "31 Jan 2026", "days": 22, "period_days": 31, "amount": Decimal("-21.29")},
        ],
        "taxes": [{"tax_rate": Decimal("0.25"), "base": Decimal("120.29"),
                   "tax": Decimal("30.07")}],
    }  # fmt: skip
    return present.invoice_view(row, Operator(legal_name="Nordfiber AB"))


def per_second(label: str, render, count: int) -> None:
    render(sample_view(0))  # warm up: fonts, templates
    began = time.perf_counter()
    for n in range(count):
        render(sample_view(n))
    elapsed = time.perf_counter() - began
    print(
        f"{label:<44}{elapsed / count * 1000:>8.1f} ms/document{count / elapsed:>10.1f} /s",
        flush=True,
    )


def side_by_side(count: int) -> None:
    renderer = Renderer()
    per_second("Typst PDF + jinja2 HTML (fiberbill)", renderer.render, count)
    try:
        import weasyprint
    except ImportError:
        print("WeasyPrint: not installed (pip install weasyprint==70.0 to compare)")
        return
    html = renderer._html

    def weasy(view):
        return weasyprint.HTML(string=html.render(doc=view)).write_pdf()

    per_second("WeasyPrint PDF from the same HTML", weasy, max(count // 20, 5))


def cli(*args: str) -> float:
    began = time.perf_counter()
    subprocess.run([CLI, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def monthly_run(subscribers: int, keep: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="fiberbill-bench-documents-"))
    try:
        data, warehouse, exports = work / "data", work / "wh.duckdb", work / "exports"
        generate(NetworkSpec(subscribers=subscribers, start=date(2025, 10, 1), months=3), data)
        common = ["--data", str(data), "--warehouse", str(warehouse), "--exports", str(exports)]
        common += ["--payments", "none", "--no-documents"]
        print(f"preparing: billing {subscribers:,} subscribers through 2025-11-30", flush=True)
        cli("run", *common, "--through", "2025-11-30")
        seconds = cli("run", *common, "--through", "2025-12-01")
        print(f"{'the run of 2025-12-01 without documents':<44}{seconds:>8.1f} s", flush=True)
        began = time.perf_counter()
        # a wrapper process, so that its children's peak memory is the render's alone (the
        # command and its worker processes), not the billing runs' before it
        peak_kib = subprocess.run(
            [sys.executable, "-c", MEASURED, CLI, "documents", "render", "--since",
             "2025-12-01", "--warehouse", str(warehouse), "--exports", str(exports)],
            check=True, capture_output=True, text=True,
        ).stdout.split()[-1]  # fmt: skip
        elapsed = time.perf_counter() - began
        documents = sum(1 for _ in (exports / "documents").rglob("*.pdf"))
        print(
            f"{'documents of 2025-12-01':<44}{elapsed:>8.1f} s{documents:>10,} documents"
            f"{documents / elapsed:>10.1f} /s",
        )
        print(
            f"{'peak memory of the render (largest process)':<44}{int(peak_kib) / 1024:>8.0f} MiB"
        )
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200, help="documents per renderer")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--skip-run", action="store_true", help="only the side-by-side part")
    args = parser.parse_args()
    side_by_side(args.sample)
    if not args.skip_run:
        monthly_run(args.subscribers, args.keep)


if __name__ == "__main__":
    main()
