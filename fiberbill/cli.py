"""The `fiberbill` command line.

Exit codes: 0 success, 2 bad input (nothing written), 1 any other failure. Every failure
prints one line saying what is wrong and where.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from rich.console import Console

from ingest.errors import InputError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


class _Console(Console):
    """rich's console, except that a reader going away (`fiberbill ... | head`) ends the
    command quietly with exit 0 (rich would exit 1)."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fiberbill")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(values)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors are bad input: exit 2, one line
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fiberbill",
        description="Billing engine for fiber networks: invoices, collection and wholesale "
        "specifications from orders, activation events and network status.",
    )
    parser.add_argument("--version", action="version", version=f"fiberbill {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="load an input folder and run every daily billing run through a date",
        description="Load DIR, then carry out every daily billing run from the earliest event "
        "through --through, each seeing only what was recorded by that day. A second call on "
        "the same warehouse goes on from the day after the last run done.",
    )
    run.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="input folder: one file per table (NAME.csv, NAME.parquet or "
        "NAME.jsonl, or several NAME.<anything>.csv), plus optional settings.toml",
    )
    run.add_argument(
        "--through",
        required=True,
        type=_date,
        metavar="YYYY-MM-DD",
        help="last day to run, inclusive, in the operator's timezone",
    )
    run.add_argument(
        "--warehouse",
        type=Path,
        default=Path("fiberbill.duckdb"),
        metavar="FILE",
        help="DuckDB warehouse file (default: ./fiberbill.duckdb); created if "
        "missing, and replaced only when the whole call succeeds",
    )
    run.add_argument(
        "--exports",
        type=Path,
        default=Path("fiberbill-exports"),
        metavar="DIR",
        help="folder for exported files such as wholesale specifications "
        "(default: ./fiberbill-exports)",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="treat any rejected row or warning as bad input: exit 2, nothing written",
    )
    run.add_argument(
        "--no-documents",
        action="store_true",
        help="do not render the invoice and credit-note documents (PDF and HTML) of the "
        "numbers issued; fiberbill documents render makes them later",
    )
    run.add_argument(
        "--payments",
        choices=("stripe", "none"),
        default="stripe",
        help="collect through Stripe (STRIPE_API_KEY, STRIPE_API_BASE) or skip "
        "collection (default: stripe)",
    )

    gen = sub.add_parser(
        "generate",
        help="write a sample open access network as an input folder",
        description="Write a contract-conformant input folder for a synthetic open access "
        "network. The same arguments give the same files, byte for byte.",
    )
    gen.add_argument("--subscribers", type=int, default=2000, help="number of customers")
    gen.add_argument("--providers", type=int, default=4, help="number of service providers")
    gen.add_argument(
        "--start",
        type=_date,
        default=date(2025, 1, 1),
        metavar="YYYY-MM-DD",
        help="first day of the network's history",
    )
    gen.add_argument("--months", type=int, default=14, help="months of history")
    gen.add_argument("--seed", type=int, default=7, help="random seed")
    gen.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format of the tables (default: csv)",
    )
    gen.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    pay = sub.add_parser(
        "generate-payments",
        help="write sample manual payments for the invoices a warehouse has issued",
        description="Write payments.<last run day>.csv into DIR for the manual customers' "
        "issued invoices: most paid on time, some late, some in part, some not at all. "
        "Deterministic for a warehouse and seed.",
    )
    pay.add_argument(
        "--warehouse",
        type=Path,
        default=Path("fiberbill.duckdb"),
        metavar="FILE",
        help="warehouse billed by fiberbill run",
    )
    pay.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="input folder to add the payments file to",
    )
    pay.add_argument("--seed", type=int, default=7, help="random seed")
    pay.add_argument(
        "--since",
        type=_date,
        metavar="D",
        help="only invoices issued after D (the previous payments file's day); default all",
    )
    _add_admin_commands(sub)
    return parser


def _warehouse_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path("fiberbill.duckdb"),
        metavar="FILE",
        help="warehouse billed by fiberbill run (default: ./fiberbill.duckdb)",
    )


def _format_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        type=str.lower,
        choices=("table", "csv", "json"),
        default="table",
        help="output format: table (default), csv or json",
    )


def _values_arg(parser: argparse.ArgumentParser, flag: str, values: tuple, what: str) -> None:
    """A filter taking one or more of `values`, in any case."""
    parser.add_argument(
        flag,
        nargs="+",
        type=str.lower,
        choices=values,
        metavar="S",
        help=f"only these {what}, any case: {_listed(values)}",
    )


def _list_args(parser: argparse.ArgumentParser, sorts: dict[str, str]) -> None:
    parser.add_argument(
        "--limit",
        type=_count,
        metavar="N",
        help="at most N rows (0: all); default 50 for a table, all for csv and json",
    )
    parser.add_argument(
        "--sort",
        type=str.lower,
        choices=tuple(sorts),
        default=next(iter(sorts)),
        help=f"order: {_listed(tuple(sorts))} (default {next(iter(sorts))})",
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a whole number >= 0: {text!r}")
    return value


def _add_admin_commands(sub) -> None:
    from fiberbill.admin import (
        CUSTOMER_SORTS,
        INVOICE_SORTS,
        INVOICE_STATUSES,
        METHODS,
        PAYMENT_STATUSES,
    )

    invoices = sub.add_parser("invoices", help="finalize, write off and list invoices")
    inv = invoices.add_subparsers(dest="action", required=True, parser_class=_Parser)
    fin = inv.add_parser(
        "finalize",
        help="give drafts their number, issue day and due day",
        description="Finalize drafts (auto_finalize = false) on the last run day: numbers "
        "continue that year's gapless sequence in (customer_id, currency) order.",
    )
    which = fin.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="finalize every draft")
    which.add_argument(
        "drafts", nargs="*", default=[], metavar="DRAFT_ID", help="draft ids (DRAFT-…)"
    )
    _warehouse_arg(fin)
    off = inv.add_parser(
        "write-off",
        help="make an open or late invoice uncollectible",
        description="Write off an open or late invoice on the last run day: its status "
        "becomes uncollectible, it owes nothing more, and no late fee or retry follows.",
    )
    off.add_argument("numbers", nargs="+", metavar="NUMBER", help="invoice number(s)")
    off.add_argument("--reason", required=True, help="why (kept in the status history)")
    _warehouse_arg(off)
    lst = inv.add_parser(
        "list",
        help="list invoices from marts.invoices",
        description="List invoices, newest first. A table shows the first 50 and says how "
        "many more there are; csv and json list every invoice unless --limit is given.",
    )
    _values_arg(lst, "--status", INVOICE_STATUSES, "statuses")
    lst.add_argument("--customer", metavar="ID", help="only this customer's invoices")
    lst.add_argument("--provider", metavar="ID", help="invoices with a line of this provider")
    lst.add_argument(
        "--method",
        type=str.lower,
        choices=METHODS,
        help="the customer's usable payment method: card, us_bank_account, sepa_debit, or "
        "none (no usable method)",
    )
    lst.add_argument("--issued-from", type=_date, metavar="D", help="issued on or after D")
    lst.add_argument("--issued-to", type=_date, metavar="D", help="issued on or before D")
    _list_args(lst, INVOICE_SORTS)
    _format_arg(lst)
    _warehouse_arg(lst)

    hooks = sub.add_parser("webhooks", help="receive Stripe events")
    hk = hooks.add_subparsers(dest="action", required=True, parser_class=_Parser)
    serve = hk.add_parser(
        "serve",
        help="verify and keep Stripe webhook events for the next run",
        description="Listen for Stripe webhook events (POST /stripe/webhooks), verify each "
        "signature with STRIPE_WEBHOOK_SECRET, and append verified events to the "
        "warehouse's inbox; the next fiberbill run settles the payments they report.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8088, help="port (default 8088)")
    _warehouse_arg(serve)

    portal = sub.add_parser("portal", help="the customer portal: links and the web server")
    po = portal.add_subparsers(dest="action", required=True, parser_class=_Parser)
    link = po.add_parser(
        "link",
        help="print a signed, single-use link into a customer's portal",
        description="Print (only) the URL of a signed, expiring, single-use link that signs "
        "CUSTOMER_ID into the customer portal. Needs PORTAL_SECRET (at least 32 bytes); the "
        "URL starts with PORTAL_BASE_URL (default http://127.0.0.1:8089).",
    )
    link.add_argument("customer_id", metavar="CUSTOMER_ID")
    link.add_argument("--ttl", default="15m", help="how long the link works (default 15m)")
    _warehouse_arg(link)
    pserve = po.add_parser(
        "serve",
        help="serve the customer portal",
        description="Serve the customer portal over the warehouse's published snapshot. "
        "Needs PORTAL_SECRET (at least 32 bytes). Stripe (payment methods, pay now) from "
        "STRIPE_API_KEY, STRIPE_API_BASE and STRIPE_PUBLISHABLE_KEY; without a key those "
        "pages say payments are unavailable.",
    )
    pserve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    pserve.add_argument("--port", type=int, default=PORTAL_PORT, help="port (default 8089)")
    _warehouse_arg(pserve)

    documents = sub.add_parser("documents", help="render and verify invoice documents")
    doc = documents.add_subparsers(dest="action", required=True, parser_class=_Parser)
    rend = doc.add_parser(
        "render",
        help="create missing documents and verify existing ones",
        description="For every issued invoice and credit note in scope: render its PDF and "
        "HTML if it has no document yet; otherwise check its files against the sha256 "
        "recorded when it was issued, rendering a missing file again. A file that differs "
        "is an error (exit 1) and is never overwritten.",
    )
    rend.add_argument("--since", type=_date, metavar="D", help="numbers issued on or after D")
    rend.add_argument("--number", nargs="+", default=[], metavar="N", help="these numbers only")
    rend.add_argument(
        "--exports",
        type=Path,
        default=Path("fiberbill-exports"),
        metavar="DIR",
        help="exports folder holding documents/ (default: ./fiberbill-exports)",
    )
    _warehouse_arg(rend)

    report = sub.add_parser(
        "report",
        help="write the finance dashboard of a run day",
        description="Write the finance dashboard of run day D as a static site: "
        "index.html (overview) and one page each for billed vs collected, receivables ageing, "
        "collections, providers and revenue assurance, with inline charts, plus "
        "figures.json with every number shown. The report for D shows what was known at "
        "the end of D, the same whenever it is made (docs/finance.md).",
    )
    report.add_argument(
        "--as-of", type=_date, metavar="D", help="the run day to report (default: the last one)"
    )
    report.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write (made if missing)"
    )
    _warehouse_arg(report)

    customers = sub.add_parser("customers", help="list customers")
    cus = customers.add_subparsers(dest="action", required=True, parser_class=_Parser)
    cl = cus.add_parser(
        "list",
        help="list customers from marts.customers",
        description="List customers (one row per customer and invoice currency), by "
        "customer id. A table shows the first 50 and says how many more there are; csv and "
        "json list every row unless --limit is given.",
    )
    _values_arg(cl, "--payment-status", PAYMENT_STATUSES, "payment statuses")
    cl.add_argument(
        "--has-payment-method",
        type=str.lower,
        choices=("yes", "no"),
        help="yes: only customers with a usable payment method; no: only those without",
    )
    cl.add_argument(
        "--collection",
        type=str.lower,
        choices=("auto", "manual"),
        help="auto (charged through Stripe) or manual (pays by transfer)",
    )
    _list_args(cl, CUSTOMER_SORTS)
    _format_arg(cl)
    _warehouse_arg(cl)


def _cmd_invoices(args, console: Console) -> int:
    from fiberbill import admin

    if args.action == "finalize":
        if not args.all and not args.drafts:
            raise InputError("invoices finalize: name draft ids or pass --all")
        done = admin.finalize(args.warehouse, None if args.all else args.drafts)
        for draft_id, number in done:
            console.print(f"{draft_id} -> {number}")
        console.print(f"finalized {len(done)} draft(s)")
        return EXIT_OK
    if args.action == "write-off":
        day = admin.write_off(args.warehouse, args.numbers, args.reason)
        for number in dict.fromkeys(args.numbers):
            console.print(f"{number} written off on {day}: uncollectible")
        return EXIT_OK
    listing = admin.list_invoices(
        args.warehouse,
        statuses=args.status,
        customer=args.customer,
        provider=args.provider,
        method=args.method,
        issued_from=args.issued_from,
        issued_to=args.issued_to,
        sort=args.sort,
        limit=_limit(args),
    )
    _print_listing(listing, args.format, console)
    return EXIT_OK


def _cmd_webhooks(args, console: Console) -> int:
    import os

    from fiberbill.collection.webhooks import make_server

    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise InputError("webhooks serve: STRIPE_WEBHOOK_SECRET is not set")
    server = make_server(args.warehouse, secret, args.host, args.port)
    console.print(f"listening on http://{args.host}:{args.port}/stripe/webhooks")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK


PORTAL_PORT = 8089


def _portal_secret() -> bytes:
    import os

    from fiberbill.portal.links import BadSecret, secret_from

    try:
        return secret_from(os.environ.get("PORTAL_SECRET"))
    except BadSecret as exc:
        raise InputError(f"portal: {exc}") from None


def _cmd_portal(args, console: Console) -> int:
    import os

    import duckdb

    from fiberbill.portal import links
    from fiberbill.portal.snapshot import snapshot_path

    secret = _portal_secret()
    port = getattr(args, "port", PORTAL_PORT)
    base_url = os.environ.get("PORTAL_BASE_URL") or f"http://127.0.0.1:{port}"
    snapshot = snapshot_path(args.warehouse)
    if args.action == "link":
        try:
            ttl = links.parse_ttl(args.ttl)
        except ValueError as exc:
            raise InputError(f"portal link: {exc}") from None
        if not snapshot.exists():
            raise InputError(
                f"portal link: {snapshot.name} does not exist: run fiberbill run on "
                f"{args.warehouse} first"
            )
        with duckdb.connect(str(snapshot), read_only=True) as con:
            known = con.execute(
                "select count(*) from customers where customer_id = ?", [args.customer_id]
            ).fetchall()[0][0]
        if not known:
            raise InputError(f"portal link: unknown customer_id {args.customer_id!r}")
        print(links.link_url(base_url, links.make_token(secret, args.customer_id, ttl)))
        return EXIT_OK
    import logging

    import uvicorn

    from fiberbill.collection.gateway import StripeGateway
    from fiberbill.portal.app import PortalConfig, create_app

    gateway = None
    if os.environ.get("STRIPE_API_KEY"):
        gateway = StripeGateway.from_env()
    config = PortalConfig(
        warehouse=args.warehouse.resolve(),
        secret=secret,
        base_url=base_url,
        stripe=gateway,
        publishable_key=os.environ.get("STRIPE_PUBLISHABLE_KEY") or None,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    _say(f"customer portal on http://{args.host}:{args.port} (links start with {base_url})")
    # uvicorn's access log would print every URL, a sign-in token included: off
    uvicorn.run(
        create_app(config), host=args.host, port=args.port, access_log=False, log_level="warning"
    )
    return EXIT_OK


def _cmd_customers(args, console: Console) -> int:
    from fiberbill import admin

    has_method = None if args.has_payment_method is None else args.has_payment_method == "yes"
    listing = admin.list_customers(
        args.warehouse,
        payment_statuses=args.payment_status,
        has_payment_method=has_method,
        collection=args.collection,
        sort=args.sort,
        limit=_limit(args),
    )
    _print_listing(listing, args.format, console)
    return EXIT_OK


TABLE_ROWS = 50  # a bare list as a table shows this many rows


def _limit(args) -> int | None:
    """--limit as given (0: all); else 50 rows for a table and all for csv and json."""
    if args.limit is not None:
        return args.limit or None
    return TABLE_ROWS if args.format == "table" else None


def _print_listing(listing, fmt: str, console: Console) -> None:
    """csv and json as they are; a table with numbers right-aligned, never cut to the
    terminal's width, and a last line saying how many rows there are (and how many more)."""
    from decimal import Decimal

    from rich import box
    from rich.table import Table

    from fiberbill import admin

    if fmt != "table":
        print(admin.render(listing, fmt))
        return
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for i, name in enumerate(listing.columns):
        numeric = any(
            isinstance(row[i], int | float | Decimal) and not isinstance(row[i], bool)
            for row in listing.rows
        )
        table.add_column(name, justify="right" if numeric else "left", no_wrap=True)
    for row in listing.rows:
        table.add_row(*(admin.cell_text(value) for value in row))
    wide = _Console(highlight=False, width=None if console.is_terminal else 100_000)
    wide.print(table, crop=False)
    shown = len(listing.rows)
    total = listing.total if listing.total is not None else shown
    if total > shown:
        wide.print(f"({shown:,} of {total:,} rows; {total - shown:,} more: --limit 0 shows all)")
    else:
        wide.print(f"({shown:,} row{'s' if shown != 1 else ''})")


def _cmd_generate_payments(args, console: Console) -> int:
    from fiberbill.samples.generator import generate_payments

    if not args.warehouse.exists():
        raise InputError(f"{args.warehouse}: warehouse does not exist (run fiberbill run first)")
    count = generate_payments(args.warehouse, args.out, seed=args.seed, since=args.since)
    console.print(f"wrote {count:,} payments to {args.out}")
    return EXIT_OK


def _cmd_run(args, console: Console) -> int:
    from fiberbill.run import run

    with console.status("starting") as status:
        result = run(
            args.data,
            args.through,
            warehouse=args.warehouse,
            exports=args.exports,
            strict=args.strict,
            payments=args.payments,
            progress=lambda message: status.update(message),
            documents=not args.no_documents,
        )
    console.print(f"[bold]fiberbill run[/] through {result.through} -> {args.warehouse}")
    console.print(
        f"{'table':<20}{'rows in':>13}{'accepted':>13}{'rejected':>13}{'waiting':>13}"
        f"{'warnings':>13}"
    )
    for c in result.load.counts:
        console.print(
            f"{c.table:<20}{c.rows_in:>13,}{c.accepted:>13,}{c.rejected - c.waiting:>13,}"
            f"{c.waiting:>13,}{c.warnings:>13,}"
        )
    released = sum(c.released for c in result.load.counts)
    still = sum(c.still_waiting for c in result.load.counts)
    if released or still:
        console.print(
            f"rows that waited for a reference: {released:,} accepted now, {still:,} still "
            "waiting (marts.rejected_rows, is_waiting)"
        )
    if any(c.waiting for c in result.load.counts):
        console.print(
            "waiting rows reference an order, customer, product or provider not loaded yet: "
            "they are re-checked on every later load (marts.rejected_rows, is_waiting)"
        )
    if result.load.files_skipped:
        console.print(f"{result.load.files_skipped} file(s) unchanged since they were loaded")
    issued = result.issued
    if issued.get("days"):
        console.print(
            f"billed {issued['days']:,} run day(s): {issued['invoices']:,} invoice(s), "
            f"{issued['lines']:,} line(s), {issued['credit_notes']:,} credit note(s), "
            f"{issued['voids']:,} void(s), {issued.get('late', 0):,} invoice(s) turned late"
        )
    else:
        console.print("no run day to bill (already billed through this day)")
    if issued.get("collection") == "stripe":
        console.print(
            f"collection: ran through Stripe: {issued['stripe_attempts']:,} payment "
            f"attempt(s), {issued['stripe_succeeded']:,} succeeded, "
            f"{issued['stripe_processing']:,} processing, {issued['stripe_failed']:,} failed, "
            f"{issued['stripe_refunds']:,} refund(s)"
        )
    elif args.payments == "none":
        console.print("collection: off (--payments none): nothing was charged or refunded")
    else:
        console.print("collection: did not run (no run day)")
    for row in result.money:
        console.print(_money_line(row), markup=False)
    specs = issued.get("exports_written", 0)
    if specs:
        console.print(f"wholesale specs: {specs:,} written under {args.exports / 'wholesale'}")
    if args.no_documents:
        console.print("documents: not rendered (--no-documents)")
    else:
        drafts = issued.get("documents_drafts", 0)
        console.print(
            f"documents: {issued.get('documents_rendered', 0):,} rendered (PDF and HTML) "
            f"under {args.exports / 'documents'}"
            + (f"; {drafts:,} draft(s) previewed under drafts/" if drafts else "")
        )
    if issued.get("email") == "on":
        console.print(
            f"e-mail: {issued['email_sent']:,} document(s) sent, {issued['email_failed']:,} "
            f"failed (tried again next run), {issued['email_unconfirmed']:,} unconfirmed "
            "(interrupted while sending; never sent twice)"
        )
        for reason in issued["email_reasons"][:3]:
            console.print(f"  e-mail failed: {reason}", markup=False)
    elif not args.no_documents:
        console.print(
            "e-mail: off (no [email] in settings.toml): no document was sent", markup=False
        )
    for table, n in result.mart_counts.items():
        console.print(f"marts.{table}: {n:,} rows")
    for finding, (n, days) in result.assurance.items():
        console.print(f"revenue assurance: {finding}: {n:,} finding(s), {days:,} day(s)")
    return EXIT_OK


def _money_line(row: dict) -> str:
    """One currency's money of a call: `EUR: invoiced 201.58 (2 invoices), ...`."""
    return (
        f"{row['currency']}: invoiced {row['invoiced']:,.2f} ({row['invoices']:,} invoice(s)), "
        f"credited {row['credited']:,.2f} ({row['credit_notes']:,} credit note(s)), "
        f"collected through Stripe {row['stripe']:,.2f}, received manually "
        f"{row['manual']:,.2f}; late now: {row['late_invoices']:,} invoice(s) owing "
        f"{row['late_amount']:,.2f}"
    )


def _cmd_documents(args, console: Console) -> int:
    from fiberbill.run import render

    with console.status("documents") as status:
        counts = render(
            args.warehouse, args.exports, args.since, args.number, progress=status.update
        )
    console.print(
        f"documents under {args.exports / 'documents'}: {counts['rendered']:,} rendered, "
        f"{counts['verified']:,} verified, {counts['restored']:,} missing file(s) restored, "
        f"{counts['drafts']:,} draft(s) previewed"
    )
    return EXIT_OK


def _cmd_report(args, console: Console) -> int:
    from exports.dashboard import last_report_day, write_dashboard

    as_of = args.as_of or last_report_day(args.warehouse)
    with console.status("finance dashboard") as status:
        index = write_dashboard(args.warehouse, as_of, args.out, progress=status.update)
    console.print(f"finance dashboard of {as_of}: {index.resolve()}", soft_wrap=True)
    return EXIT_OK


def _cmd_generate(args, console: Console) -> int:
    from fiberbill.samples.generator import NetworkSpec, generate

    spec = NetworkSpec(
        subscribers=args.subscribers,
        providers=args.providers,
        start=args.start,
        months=args.months,
        seed=args.seed,
        file_format=args.format,
    )
    with console.status("generating"):
        counts = generate(spec, args.out)
    console.print(f"wrote {args.out}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return EXIT_OK


def _say(line: str) -> None:
    """One unwrapped line on stderr."""
    print(" ".join(line.split()), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = _Console(highlight=False, soft_wrap=True)
    try:
        if args.command == "run":
            return _cmd_run(args, console)
        if args.command == "generate-payments":
            return _cmd_generate_payments(args, console)
        if args.command == "invoices":
            return _cmd_invoices(args, console)
        if args.command == "customers":
            return _cmd_customers(args, console)
        if args.command == "webhooks":
            return _cmd_webhooks(args, console)
        if args.command == "portal":
            return _cmd_portal(args, console)
        if args.command == "documents":
            return _cmd_documents(args, console)
        if args.command == "report":
            return _cmd_report(args, console)
        return _cmd_generate(args, console)
    except InputError as exc:
        _say(f"fiberbill: error: {exc}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        _say("fiberbill: interrupted; nothing was written")
        return EXIT_FAILURE
    except Exception as exc:  # any other failure: one line, exit 1
        line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _say(f"fiberbill: failed: {line}")
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
