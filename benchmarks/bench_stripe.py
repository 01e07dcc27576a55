"""Stripe collection throughput (issue 4): the sustained requests per second of a billing
run that charges many auto customers, against localstripe on 127.0.0.1.

    .venv/bin/python benchmarks/bench_stripe.py [--customers 120] [--rps 20]

Each new customer costs five requests (create customer, attach and set the default method,
create and confirm the PaymentIntent). The token bucket should hold the rate at the
configured requests per second; localstripe answers in about 2 ms, so the bucket is what
limits the run. Needs the test extras (localstripe).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fiberbill import run as runner  # noqa: E402
from tests.support.collection_network import CARD_OK, write_network  # noqa: E402
from tests.support.localstripe import API_KEY, LocalStripe, free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=120)
    parser.add_argument("--rps", type=float, default=20.0)
    args = parser.parse_args()

    import os
    import subprocess

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.collection.localstripe_server", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[1],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                LocalStripe(base).stats()
                break
            except OSError:
                time.sleep(0.1)
        stripe_server = LocalStripe(base)
        os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"] = API_KEY, base
        cases = {f"B{i:05d}": ("auto", "card", CARD_OK) for i in range(args.customers)}
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_network(
                Path(tmp) / "data",
                stripe_server,
                cases,
                settings=f"stripe_requests_per_second = {args.rps}\n",
            )
            stripe_server.delete("/_config/test/stats")
            started = time.monotonic()
            result = runner.run(folder, date(2026, 1, 10), warehouse=Path(tmp) / "wh.duckdb")
            total = time.monotonic() - started
            stats = stripe_server.stats()
        rate = stats["requests"] / stats["seconds"] if stats["seconds"] else float("nan")
        print(f"customers charged      {result.issued['stripe_succeeded']:,}")
        print(f"Stripe requests        {stats['requests']:,}")
        print(f"configured rate        {args.rps:g} requests/s")
        print(f"sustained rate         {rate:.1f} requests/s over {stats['seconds']:.1f} s")
        print(f"whole run              {total:.1f} s (includes loading and dbt)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
