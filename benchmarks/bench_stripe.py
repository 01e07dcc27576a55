"""Stripe collection throughput (issue 4): the sustained requests per second of a billing
run that charges many auto customers, against localstripe on 127.0.0.1.

    .venv/bin/python benchmarks/bench_stripe.py [--subscribers 400] [--rps 20]

The network is the sample generator's, its payment methods given localstripe ids (cards
that work, SEPA and ACH debits). January is billed without collection; the timed call
then bills Feb 1 with Stripe, which charges every open auto-collection invoice at once, as
after an outage. Each new auto customer costs five requests
(create customer, attach and set the default method, create and confirm the
PaymentIntent). The token bucket should hold the rate at the configured requests per
second; localstripe answers in about 2 ms, so the bucket is what limits the run. Needs the
test extras (localstripe).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fiberbill import run as runner  # noqa: E402
from fiberbill.samples.generator import NetworkSpec, generate  # noqa: E402
from sandbox.localstripe import API_KEY, LocalStripe, free_port, give_methods_stripe_ids  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=400)
    parser.add_argument("--rps", type=float, default=20.0)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox.localstripe_server", "--port", str(port)], cwd=REPO
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
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "data"
            spec = NetworkSpec(subscribers=args.subscribers, start=date(2026, 1, 1), months=2)
            generate(spec, folder)
            with (folder / "settings.toml").open("a", encoding="utf-8") as fh:
                fh.write(f"stripe_requests_per_second = {args.rps}\n")
            give_methods_stripe_ids(folder, stripe_server)
            warehouse, exports = Path(tmp) / "wh.duckdb", Path(tmp) / "exports"
            runner.run(
                folder,
                date(2026, 1, 31),
                warehouse=warehouse,
                exports=exports,
                payments="none",
                documents=False,  # documents have their own benchmark
            )
            stripe_server.delete("/_config/test/stats")
            started = time.monotonic()
            result = runner.run(
                folder, date(2026, 2, 1), warehouse=warehouse, exports=exports, documents=False
            )
            total = time.monotonic() - started
            stats = stripe_server.stats()
        rate = stats["requests"] / stats["seconds"] if stats["seconds"] else float("nan")
        print(f"charges succeeded      {result.issued['stripe_succeeded']:,}")
        print(f"Stripe requests        {stats['requests']:,}")
        print(f"configured rate        {args.rps:g} requests/s")
        print(f"sustained rate         {rate:.1f} requests/s over {stats['seconds']:.1f} s")
        print(f"whole run              {total:.1f} s (includes loading and dbt)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
