"""The finance dashboard of a run day: `fiberbill report --as-of D --out DIR` writes a
self-contained static site (docs/finance.md):

    DIR/index.html        Overview: KPIs with month-over-month change, MRR movement
    DIR/billed.html       Billed vs collected by month
    DIR/ageing.html       Receivables ageing over time, top late customers
    DIR/collections.html  Collection success by payment method, retries, late rate, late fees
    DIR/providers.html    Wholesale and retail per provider by month
    DIR/assurance.html    Revenue-assurance findings in money
    DIR/figures.json      every number the pages show, amounts as exact decimal text

Charts are inline SVG (exports/charts.py); the pages load nothing (their Content Security
Policy forbids it). Every figure is read from the finance marts up to day D only
(exports/sql/dashboard_*.sql), so the report for D is the same whenever it is made: no
clock time is written into it. Currencies are never summed together: each has its own
section on every page.
"""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
from babel.numbers import format_currency, format_decimal, format_percent

from exports import charts
from fiberbill.sqlfiles import SqlFiles
from ingest.errors import InputError
from ingest.loader import connect, fetch

SQL = SqlFiles(Path(__file__).parent / "sql")
LOCALE = "en_US"

PAGES = (
    ("index", "Overview"),
    ("billed", "Billed vs collected"),
    ("ageing", "Receivables ageing"),
    ("collections", "Collections"),
    ("providers", "Providers"),
    ("assurance", "Revenue assurance"),
)

# (key, label, kind, where it is read): stocks at the day (and at the previous month's
# end), flows of the month to date (and of the whole previous month)
KPIS = (
    ("mrr", "Monthly recurring revenue", "money", "stock"),
    ("active_subscriptions", "Active subscriptions", "count", "stock"),
    ("invoiced", "Invoiced this month", "money", "flow"),
    ("collected", "Collected this month", "money", "flow"),
    ("receivables", "Receivables", "money", "stock"),
    ("late_receivables", "Late receivables", "money", "stock"),
    ("dso_days", "Days sales outstanding", "days", "stock"),
)

MOVEMENTS = (
    ("mrr_new", "New"),
    ("mrr_expansion", "Expansion"),
    ("mrr_contraction", "Contraction"),
    ("mrr_churn", "Churn"),
    ("mrr_reactivation", "Reactivation"),
)

BUCKETS = (
    ("current_amount", "Not yet due"),
    ("past_due_1_30", "1–30 days past due"),
    ("past_due_31_60", "31–60 days"),
    ("past_due_61_90", "61–90 days"),
    ("past_due_over_90", "Over 90 days"),
)

FINDINGS = {
    "active_without_order": "Active without an order",
    "up_before_activation": "Up before activation",
    "billed_while_down": "Billed while down",
}

METHODS = {
    "card": "Card",
    "us_bank_account": "ACH bank account",
    "sepa_debit": "SEPA Direct Debit",
}


def _run_days(con) -> tuple[date | None, date | None]:
    exists = fetch(
        con,
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'finance_daily'",
    )[0][0]
    if not exists:
        return None, None
    return fetch(con, "select min(day), max(day) from marts.finance_daily")[0]


def _open(warehouse: Path):
    if not Path(warehouse).exists():
        raise InputError(f"{warehouse}: no such warehouse")
    return connect(warehouse, read_only=True)


def last_report_day(warehouse: Path) -> date:
    """The last run day the finance marts hold. Raises InputError when there is none."""
    with _open(warehouse) as con:
        last = _run_days(con)[1]
    if last is None:
        raise InputError(f"{warehouse}: no run day yet: run `fiberbill run` first")
    return last


def report_figures(warehouse: Path, as_of: date) -> dict:
    """Every figure of the dashboard for run day `as_of`, by currency. Raises InputError
    when `as_of` is not a run day of the warehouse."""
    with _open(warehouse) as con:
        first, last = _run_days(con)
        if first is None:
            raise InputError(f"{warehouse}: no run day yet: run `fiberbill run` first")
        if not first <= as_of <= last:
            raise InputError(
                f"--as-of {as_of}: not a run day of {warehouse} (its run days are "
                f"{first} to {last})"
            )
        params = {"as_of": as_of}
        read = {name: SQL.records(con, f"dashboard_{name}", params) for name in _QUERIES}
    currencies = sorted({row["currency"] for row in read["months"]})
    return {
        "as_of": as_of,
        "first_run_day": first,
        "currencies": currencies,
        "by_currency": {
            currency: _currency_figures(currency, as_of, read) for currency in currencies
        },
        "unvalued_findings": [
            {k: row[k] for k in ("finding", "days")}
            for row in read["leakage"]
            if row["currency"] is None
        ],
    }


CHARTS = ("waterfall", "billed", "ageing", "methods", "wholesale", "leakage")
_QUERIES = ("months", "ageing", "late_customers", "methods", "providers", "leakage")


def _of(rows: list[dict], currency: str) -> list[dict]:
    return [row for row in rows if row["currency"] == currency]


def _currency_figures(currency: str, as_of: date, read: dict) -> dict:
    months = _of(read["months"], currency)
    for row in months:
        row["collected"] = row["collected_stripe"] + row["collected_manual"]
        ended = row["attempts_succeeded"] + row["attempts_failed"]
        row["success_rate"] = _ratio(row["attempts_succeeded"], ended)
        row["late_rate"] = _ratio(row["invoices_turned_late"], row["invoices_due"])
    this = months[-1]
    before = months[-2] if len(months) > 1 else None
    kpis = []
    for key, label, kind, read_as in KPIS:
        value = this[key]
        previous = before[key] if before else None
        kpis.append(
            {
                "key": key,
                "label": label,
                "kind": kind,
                "reading": read_as,
                "value": value,
                "previous": previous,
                "change_percent": _change(value, previous),
            }
        )
    movement = {key: this[key] for key, _ in MOVEMENTS}
    start = this["mrr"] - sum(movement.values(), Decimal(0))
    methods = _of(read["methods"], currency)
    for row in methods:
        row["success_rate"] = _ratio(row["succeeded"], row["succeeded"] + row["failed"])
    return {
        "month": this["month"],
        "kpis": kpis,
        "mrr_movement": {"month": this["month"], "start": start, **movement, "end": this["mrr"]},
        "months": months,
        "ageing": _of(read["ageing"], currency),
        "late_customers": _of(read["late_customers"], currency),
        "methods": methods,
        "providers": _of(read["providers"], currency),
        "leakage": _of(read["leakage"], currency),
    }


def _ratio(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _change(value, previous) -> Decimal | None:
    if value is None or not previous:
        return None
    return ((Decimal(value) - Decimal(previous)) * 100 / Decimal(previous)).quantize(Decimal("0.1"))


def _json_default(value):
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# ---------------------------------------------------------------- presentation


def money(value, currency: str) -> str:
    if value is None:
        return "—"
    return format_currency(Decimal(value), currency, locale=LOCALE)


def count(value) -> str:
    return "—" if value is None else format_decimal(value, locale=LOCALE)


def percent(value) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%", locale=LOCALE)


def days(value) -> str:
    return "—" if value is None else f"{format_decimal(value, '#,##0.0', locale=LOCALE)} days"


def month_name(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%b %Y")


def _kpi_text(kpi: dict, currency: str) -> dict:
    show = {"money": lambda v: money(v, currency), "count": count, "days": days}[kpi["kind"]]
    change = kpi["change_percent"]
    return {
        **kpi,
        "value_text": show(kpi["value"]),
        "previous_text": show(kpi["previous"]),
        "change_text": "—" if change is None else f"{'+' if change > 0 else ''}{change} %",
    }


def _charts(currency: str, figures: dict) -> dict[str, str]:
    months = figures["months"]
    label = {row["month"]: month_name(row["month"]) for row in months}
    made: dict[str, str | None] = dict.fromkeys(CHARTS)
    flow = figures["mrr_movement"]
    made["waterfall"] = charts.waterfall(
        [("Start", flow["start"])]
        + [(name, flow[key]) for key, name in MOVEMENTS]
        + [("End", flow["end"])],
        title=f"MRR movement, {month_name(flow['month'])} ({currency})",
        currency=currency,
    )
    billed = [
        {"month": label[r["month"]], "what": what, "amount": r[key]}
        for r in months
        for key, what in (("invoiced", "Invoiced"), ("collected", "Collected"))
    ]
    made["billed"] = charts.grouped_bars(
        billed,
        x="month",
        x_title="Month",
        series="what",
        value="amount",
        title=f"Invoiced and collected by month ({currency})",
        currency=currency,
    )
    ageing = [
        {"day": str(r["as_of_date"]), "bucket": name, "amount": r[key]}
        for r in figures["ageing"]
        for key, name in BUCKETS
    ]
    if ageing:
        made["ageing"] = charts.stacked_bars(
            ageing,
            x="day",
            x_title="Day (each month's last run day)",
            series="bucket",
            value="amount",
            title=f"Receivables by age ({currency})",
            y_title=f"Owed ({currency})",
            order=[name for _, name in BUCKETS],
        )
    methods = [
        {
            "month": label.get(r["month"], r["month"]),
            "method": METHODS.get(r["payment_method"], r["payment_method"]),
            "rate": r["success_rate"],
        }
        for r in figures["methods"]
        if r["success_rate"] is not None
    ]
    if methods:
        made["methods"] = charts.line(
            methods,
            x="month",
            x_title="Month",
            series="method",
            value="rate",
            title=f"Stripe collection success by payment method ({currency})",
            y_title="Attempts that succeeded",
            percent=True,
        )
    wholesale = [
        {
            "month": label.get(r["month"], r["month"]),
            "provider": r["provider_name"] or r["provider_id"],
            "amount": r["wholesale_billed"],
        }
        for r in figures["providers"]
    ]
    if any(row["amount"] for row in wholesale):
        made["wholesale"] = charts.stacked_bars(
            wholesale,
            x="month",
            x_title="Spec month",
            series="provider",
            value="amount",
            title=f"Wholesale billed per provider ({currency})",
            y_title=f"Wholesale ({currency})",
        )
    leakage: dict[str, Decimal] = {}
    for r in figures["leakage"]:
        name = FINDINGS.get(r["finding"], r["finding"])
        leakage[name] = leakage.get(name, Decimal(0)) + (r["amount"] or Decimal(0))
    if leakage:
        made["leakage"] = charts.bars(
            [{"finding": k, "amount": v} for k, v in leakage.items()],
            x="finding",
            x_title="Finding",
            value="amount",
            title=f"Revenue-assurance findings in money ({currency})",
            y_title=f"Value at the daily price ({currency})",
        )
    return made


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, count=count, percent=percent, days=days, month_name=month_name)
    env.globals.update(PAGES=PAGES, BUCKETS=BUCKETS, FINDINGS=FINDINGS, METHODS=METHODS)
    return env


def write_dashboard(warehouse: Path, as_of: date, out: Path, progress=None) -> Path:
    """Write the dashboard of run day `as_of` into `out` (made if missing); each file is
    written whole or not at all. Returns the path of index.html."""
    figures = report_figures(warehouse, as_of)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = _environment()
    sections = []
    for currency in figures["currencies"]:
        if progress:
            progress(f"charts for {currency}")
        by = figures["by_currency"][currency]
        sections.append(
            {
                "currency": currency,
                "figures": by,
                "kpis": [_kpi_text(kpi, currency) for kpi in by["kpis"]],
                "charts": _charts(currency, by),
            }
        )
    files = {"figures.json": json.dumps(figures, indent=2, default=_json_default) + "\n"}
    template = env.get_template("dashboard.html.j2")
    for page, title in PAGES:
        files[f"{page}.html"] = template.render(
            page=page,
            title=title,
            as_of=as_of,
            sections=sections,
            unvalued=figures["unvalued_findings"],
        )
    for name, text in files.items():
        tmp = out / f".{name}.tmp-{os.getpid()}"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out / name)
    return out / "index.html"
