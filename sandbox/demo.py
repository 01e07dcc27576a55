"""`make demo`: the main job end to end on the sample network, with collection.

    python -m sandbox.demo --data data/demo --through 2026-02-28 [--warehouse F] [--exports D]
                           [--documents-from D] [--seed S]

1. Starts localstripe (a local Stripe-compatible server, sandbox/localstripe_server.py) on
   127.0.0.1, and stops it at the end, also on an error or Ctrl-C.
2. Gives the generated payment methods real localstripe ids: most cards, SEPA and ACH
   debits work (debits after a `processing` spell); one card in twenty is declined at
   charge (retried, then the invoice turns late), one SEPA or ACH debit in forty fails
   after processing.
3. Bills with `--payments stripe` in calls 20 days apart. After each call the customers
   who pay by transfer (manual collection, or no usable payment method) pay what was
   issued since the call before (`generate_payments`: on time, late, in half or not at
   all), delivered with the next call, so each payment is known before its invoice could
   turn late (payments dated before a call's first day are settled on it).
4. Writes off what is still late 60 days after its due date (`invoices write-off`, all
   at once), then bills the last days with the full run summary.
5. Renders the documents of the last month and prints the book: invoices by status, late
   fees, how invoices were paid (docs/sample-network.md has the target mix).
6. Writes the finance dashboard of the last day (`fiberbill report`) into
   EXPORTS/reports/<day>/ and prints the path of its overview.

Demo only: the product never starts localstripe, and the real Stripe API is reached only
through STRIPE_API_BASE and STRIPE_API_KEY.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from fiberbill import admin
from fiberbill import run as runner
from fiberbill.cli import main as cli
from fiberbill.portal import links
from fiberbill.portal.snapshot import snapshot_path
from fiberbill.samples.generator import generate_payments
from fiberbill.sqlfiles import SqlFiles
from ingest.loader import connect
from sandbox.localstripe import (
    ACH_FAILS,
    ACH_OK,
    API_KEY,
    CARD_DECLINED_AT_CHARGE,
    CARD_OK,
    IBAN_FAILS,
    IBAN_OK,
    LocalStripe,
    give_methods_stripe_ids,
    serve,
)

SQL = SqlFiles(Path(__file__).with_name("sql"))
WRITE_OFF_AFTER_DAYS = 60
PORTAL_SECRET_FILE = Path(".fiberbill/portal-secret")  # the demo portal's secret (git-ignored)
DEMO_PORTAL = "http://127.0.0.1:8089"  # `make portal`
# Calls at most this many days apart: a payment made for an invoice issued in one call is
# delivered with the next call, before the invoice can turn late (due after 14 days, late
# after 7 more), so the book shows the payment fates, not the cadence of the demo's calls.
EVERY_DAYS = 20


def call_days(first: date, through: date, every: int = EVERY_DAYS) -> list[date]:
    """The days the demo bills through: every `every` days from `first`, and `through`."""
    days, day = [], first + timedelta(days=every - 1)
    while day < through:
        days.append(day)
        day += timedelta(days=every)
    return [*days, through]


def allow_local_rate(data: Path) -> None:
    """localstripe takes far more than Stripe's test mode: 200 requests a second."""
    settings = data / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    if "stripe_requests_per_second" not in text:
        settings.write_text(text + "stripe_requests_per_second = 200\n", encoding="utf-8")


def give_methods(data: Path, server: LocalStripe) -> None:
    give_methods_stripe_ids(
        data,
        server,
        card=lambda i: CARD_DECLINED_AT_CHARGE if i % 20 == 3 else CARD_OK,
        sepa=lambda i: IBAN_FAILS if i % 40 == 7 else IBAN_OK,
        ach=lambda i: ACH_FAILS if i % 40 == 11 else ACH_OK,
    )


def first_day(data: Path) -> date:
    """The first activation in the input folder: where billing starts."""
    with connect() as con:
        (day,) = con.execute(
            "select min(cast(occurred_at as date)) from read_csv(?, all_varchar = true)",
            [str(data / "activation_events.*.csv")],
        ).fetchone()
    return date.fromisoformat(str(day)[:10]) if day else date.today()


def bill(args: argparse.Namespace) -> None:
    days = call_days(first_day(args.data), args.through)
    previous: date | None = None
    for n, day in enumerate(days[:-1], 1):
        started = time.monotonic()
        result = runner.run(
            args.data,
            day,
            warehouse=args.warehouse,
            exports=args.exports,
            payments="stripe",
            documents=False,
        )
        paid = generate_payments(args.warehouse, args.data, seed=args.seed, since=previous)
        previous = day
        issued = result.issued
        print(
            f"[{n}/{len(days)}] through {day}: {issued.get('invoices', 0):,} invoice(s), "
            f"{issued.get('credit_notes', 0):,} credit note(s); {paid:,} payment(s) by transfer "
            f"for the next call ({time.monotonic() - started:.0f} s)",
            flush=True,
        )
    write_offs(args.warehouse)
    print(f"[{len(days)}/{len(days)}] through {args.through}:", flush=True)
    common = ["--warehouse", str(args.warehouse), "--exports", str(args.exports)]
    code = cli(
        ["run", "--data", str(args.data), "--through", args.through.isoformat(), *common]
        + ["--payments", "stripe", "--no-documents"]
    )
    if code:
        raise SystemExit(code)


def write_offs(warehouse: Path) -> None:
    """Write off every invoice still late WRITE_OFF_AFTER_DAYS after its due date."""
    with connect(warehouse, read_only=True) as con:
        numbers = [n for (n,) in SQL.rows(con, "write_offs", {"days": WRITE_OFF_AFTER_DAYS})]
    if numbers:
        reason = f"unpaid {WRITE_OFF_AFTER_DAYS} days after the due date"
        day = admin.write_off(warehouse, numbers, reason)
        print(f"wrote off {len(numbers):,} invoice(s) on {day}: {reason}", flush=True)


def print_book(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        book = SQL.records(con, "book")
    print("\nthe book (docs/sample-network.md has the target mix):")
    for row in book:
        print(f"  {row['text_line']}")


def print_portal_link(warehouse: Path) -> None:
    """A working sign-in link into the customer portal for the demo customer with the most
    late invoices, and how to serve the portal. The demo's PORTAL_SECRET is made once and
    kept in PORTAL_SECRET_FILE (git-ignored); `make portal` serves with it."""
    PORTAL_SECRET_FILE.parent.mkdir(exist_ok=True)
    if not PORTAL_SECRET_FILE.exists():
        PORTAL_SECRET_FILE.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        PORTAL_SECRET_FILE.chmod(0o600)
    secret = links.secret_from(PORTAL_SECRET_FILE.read_text(encoding="utf-8").strip())
    with connect(snapshot_path(warehouse), read_only=True) as con:
        (customer,) = SQL.rows(con, "portal_customer")[0]
    url = links.link_url(DEMO_PORTAL, links.make_token(secret, customer, 24 * 3600))
    print(
        f"\ncustomer portal: run `make portal` (or PORTAL_SECRET=$(cat {PORTAL_SECRET_FILE})"
        f" .venv/bin/fiberbill portal serve --warehouse {warehouse}), then open, within a "
        f"day and once, the link of customer {customer}:\n  {url}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.demo", description=__doc__)
    parser.add_argument("--data", type=Path, required=True, help="generated input folder")
    parser.add_argument("--through", type=date.fromisoformat, required=True)
    parser.add_argument("--warehouse", type=Path, default=Path("fiberbill.duckdb"))
    parser.add_argument("--exports", type=Path, default=Path("fiberbill-exports"))
    parser.add_argument("--documents-from", type=date.fromisoformat, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = time.monotonic()
    saved = {k: os.environ.get(k) for k in ("STRIPE_API_KEY", "STRIPE_API_BASE")}
    with serve() as base:
        print(f"localstripe on {base} (stopped at the end)", flush=True)
        os.environ["STRIPE_API_KEY"], os.environ["STRIPE_API_BASE"] = API_KEY, base
        try:
            allow_local_rate(args.data)
            give_methods(args.data, LocalStripe(base))
            bill(args)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    common = ["--warehouse", str(args.warehouse), "--exports", str(args.exports)]
    since = ["--since", args.documents_from.isoformat()] if args.documents_from else []
    if cli(["documents", "render", *since, *common]):
        return 1
    print_book(args.warehouse)
    print_portal_link(args.warehouse)
    out = args.exports / "reports" / args.through.isoformat()
    print()
    if cli(["report", "--as-of", args.through.isoformat(), "--out", str(out), *common[:2]]):
        return 1
    print(f"\ndemo done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
