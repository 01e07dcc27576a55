"""A synthetic open access network, written as a contract-conformant input folder.

Vectorised with numpy (no per-subscriber Python loop), so a million subscribers take seconds.
The same NetworkSpec gives the same files, byte for byte.

What it contains (see docs/sample-network.md):
- providers in EUR and USD; per provider a monthly basic, a monthly gigabit and an
  anniversary plan, with start fees, wholesale fees, tax rates and some price changes;
  one provider in four bills its own subscribers (retail_billed_by = provider);
- customers in the US and Europe, auto or manual collection, cards, ACH and SEPA debits,
  some expired or revoked and some with no payment method at all;
- orders with percent, fixed and start-fee-waiver promotions, some codes expired or unknown;
- activations with late recordings, re-activations, same-day deactivations, cancellations
  before activation and terminations (known in advance, on the day, or recorded late);
- daily network status with anomalies: up without an order, down while active, and up
  before activation was reported.

Payments are not generated: they name invoice numbers, which exist only once the network
has been billed (see docs/sample-network.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from fiberbill.sqlfiles import SqlFiles
from ingest.loader import connect

EU_COUNTRIES = np.array(["NO", "SE", "DE", "NL"])
# the second line of a sample customer's address, by country
CITIES = {
    "US": "Springfield, IL 62701",
    "NO": "0150 Oslo",
    "SE": "111 22 Stockholm",
    "DE": "10115 Berlin",
    "NL": "1012 AB Amsterdam",
}
# the operator named on the sample network's documents (settings.toml), as an inline table
# so that keys appended to the file stay top-level
SAMPLE_OPERATOR = (
    'operator = { legal_name = "Fjordnett AS", address = "Fiberveien 1; 0150 Oslo; Norway", '
    'registration_id = "NO 912 345 678 MVA", email = "billing@fjordnett.example", '
    'payment_instructions = "Account 1503.12.34567, IBAN NO93 1503 1234 567.", '
    'payment_reference = "KID {number}" }\n'
)
FIRST_NAMES = np.array(
    [
        "Ada",
        "Bjorn",
        "Chen",
        "Dana",
        "Emil",
        "Fatima",
        "Gus",
        "Hanna",
        "Ivan",
        "Jade",
        "Kari",
        "Liam",
        "Mona",
        "Nils",
        "Olga",
        "Per",
    ]
)
LAST_NAMES = np.array(
    [
        "Berg",
        "Nguyen",
        "Smith",
        "Larsen",
        "Garcia",
        "Muller",
        "Olsen",
        "Jensen",
        "Brown",
        "Kowalski",
        "Haugen",
        "Silva",
    ]
)
SQL = SqlFiles(Path(__file__).with_name("sql"))  # what sample payments are made for
FULL_STATUS_LIMIT = 10_000  # above this many subscribers, network status covers the last month


@dataclass(frozen=True)
class NetworkSpec:
    subscribers: int = 2000
    providers: int = 4
    start: date = date(2025, 1, 1)
    months: int = 14
    seed: int = 7
    file_format: str = "csv"  # csv | parquet
    timezone: str = "Europe/Oslo"

    @property
    def end(self) -> date:
        y, m = divmod(self.start.month - 1 + self.months, 12)
        return date(self.start.year + y, m + 1, 1) - timedelta(days=1)


def _days(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _date_strings(day_numbers: np.ndarray) -> pl.Series:
    return pl.Series(day_numbers.astype("int32")).cast(pl.Date).dt.strftime("%Y-%m-%d")


def _timestamps(day_numbers: np.ndarray, seconds: np.ndarray) -> pl.Series:
    """ISO-8601 UTC timestamps with a Z, from day numbers and seconds within the day."""
    micros = (day_numbers.astype("int64") * 86400 + seconds.astype("int64")) * 1_000_000
    return pl.Series(micros).cast(pl.Datetime("us")).dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """Zero-padded ids such as C0000042."""
    digits = pl.Series(numbers.astype("int64")).cast(pl.String).str.zfill(width)
    return pl.Series([prefix] * len(numbers), dtype=pl.String) + digits


def _money(cents: np.ndarray) -> pl.Series:
    cents = cents.astype("int64")
    whole = pl.Series(cents // 100).cast(pl.String)
    frac = pl.Series(cents % 100).cast(pl.String).str.zfill(2)
    return whole + "." + frac


def _providers(spec: NetworkSpec) -> pl.DataFrame:
    n = spec.providers
    idx = np.arange(1, n + 1)
    currency = np.where(idx % 2 == 1, "EUR", "USD") if n > 1 else np.array(["EUR"])
    return pl.DataFrame(
        {
            "provider_id": _ids("P", idx, 3),
            "name": [f"Provider {i} Fiber" for i in idx],
            "currency": currency,
            "email": [f"billing@provider{i}.example" for i in idx],
        }
    )


def _products(spec: NetworkSpec, providers: pl.DataFrame, rng) -> pl.DataFrame:
    rows = []
    history_mid = spec.start + timedelta(days=(spec.end - spec.start).days // 2)
    for i, (pid, cur) in enumerate(
        zip(providers["provider_id"], providers["currency"], strict=True)
    ):
        tax = "0.25" if cur == "EUR" else "0.00"
        billed_by = "provider" if i % 4 == 3 else "operator"
        plans = [
            ("BASIC", "Basic 300", "monthly", int(rng.choice([2900, 3900, 4900])), 4900),
            ("GIGA", "Gigabit", "monthly", int(rng.choice([5999, 6900, 7900])), 9900),
            ("YEAR", "Anniversary 500", "anniversary", int(rng.choice([4500, 5500])), 0),
        ]
        for code, name, cycle, price, start_fee in plans:
            base = {
                "product_id": f"{pid}-{code}",
                "valid_from": "",
                "provider_id": pid,
                "name": name,
                "billing_cycle": cycle,
                "monthly_price": price,
                "start_fee": start_fee,
                "wholesale_monthly_fee": price * 2 // 5,
                "wholesale_start_fee": 2500,
                "tax_rate": tax,
                "retail_billed_by": billed_by,
            }
            rows.append(base)
            if rng.random() < 0.35:  # a price change half way through the history
                rows.append(
                    {
                        **base,
                        "valid_from": history_mid.isoformat(),
                        "monthly_price": price + 500,
                        "wholesale_monthly_fee": (price + 500) * 2 // 5,
                    }
                )
    frame = pl.DataFrame(rows)
    return frame.with_columns(
        *(
            pl.Series(c, _money(frame[c].to_numpy()))
            for c in ("monthly_price", "start_fee", "wholesale_monthly_fee", "wholesale_start_fee")
        )
    )


def _promotions(spec: NetworkSpec) -> pl.DataFrame:
    spring_end = spec.start + timedelta(days=60)
    return pl.DataFrame(
        {
            "promotion_code": ["HALF3", "TENOFF6", "NOFEE", "SPRING20"],
            "kind": ["percent", "fixed", "start_fee_waiver", "percent"],
            "value": ["50", "10.00", "0", "20"],
            "duration_months": ["3", "6", "0", "2"],
            "product_id": ["", "", "", ""],
            "valid_from": ["", "", "", spec.start.isoformat()],
            "valid_to": ["", "", "", spring_end.isoformat()],
        }
    )


def generate_frames(spec: NetworkSpec) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(spec.seed)
    n = spec.subscribers
    start, end = _days(spec.start), _days(spec.end)
    span = end - start + 1

    providers = _providers(spec)
    products = _products(spec, providers, rng)
    eur = providers.filter(pl.col("currency") == "EUR")["provider_id"].to_numpy()
    usd = providers.filter(pl.col("currency") == "USD")["provider_id"].to_numpy()

    # customers
    cust_no = np.arange(1, n + 1)
    is_us = (rng.random(n) < 0.4) & (len(usd) > 0)
    country = np.where(is_us, "US", EU_COUNTRIES[rng.integers(0, 4, n)])
    auto = rng.random(n) < 0.55
    first = FIRST_NAMES[rng.integers(0, len(FIRST_NAMES), n)]
    last = LAST_NAMES[rng.integers(0, len(LAST_NAMES), n)]
    customer_ids = _ids("C", cust_no, 7)
    customers = pl.DataFrame(
        {
            "customer_id": customer_ids,
            "name": pl.Series(first) + " " + pl.Series(last),
            "email": "c" + pl.Series(cust_no).cast(pl.String) + "@example.net",
            "country": country,
            # no random draw: the other columns stay as they were for a seed
            "address": "Fiberveien "
            + pl.Series((cust_no % 97 + 1).astype(str))
            + "; "
            + pl.Series(country).replace_strict(CITIES),
            "collection_method": np.where(auto, "auto", "manual"),
            "created_at": _timestamps(start + rng.integers(-60, 0, n), rng.integers(0, 86400, n)),
        }
    )

    # payment methods: most auto customers have one, some manual ones too, some unusable
    has_pm = rng.random(n) < np.where(auto, 0.9, 0.4)
    owners = cust_no[has_pm]
    k = len(owners)
    us_owner = is_us[has_pm]
    r = rng.random(k)
    pm_type = np.where(
        us_owner,
        np.where(r < 0.6, "card", "us_bank_account"),
        np.where(r < 0.5, "card", "sepa_debit"),
    )
    s = rng.random(k)
    pm_status = np.where(s < 0.9, "active", np.where(s < 0.97, "expired", "revoked"))
    pm_no = np.arange(1, k + 1)
    payment_methods = pl.DataFrame(
        {
            "payment_method_id": _ids("PM", pm_no, 7),
            "customer_id": _ids("C", owners, 7),
            "type": pm_type,
            "status": pm_status,
            "is_default": np.full(k, "true"),
            "stripe_payment_method_id": _ids("pm_sample_", pm_no, 7),
            "last4": pl.Series((pm_no * 7919 % 10000).astype(str)).str.zfill(4),
        }
    )

    # orders: one per customer, one in ten customers has a second one
    extra = cust_no[rng.random(n) < 0.1]
    order_cust = np.concatenate([cust_no, extra])
    m = len(order_cust)
    order_no = np.arange(1, m + 1)
    cust_is_us = is_us[order_cust - 1]
    pool_eur = eur if len(eur) else usd
    prov = np.where(
        cust_is_us,
        usd[rng.integers(0, max(len(usd), 1), m)] if len(usd) else pool_eur[0],
        pool_eur[rng.integers(0, len(pool_eur), m)],
    )
    plan = np.array(["BASIC", "GIGA", "YEAR"])[rng.choice(3, m, p=[0.5, 0.3, 0.2])]
    product_id = pl.Series(prov) + "-" + pl.Series(plan)
    # a third of the orders in the first month, the rest spread over 80 % of the history
    early = rng.random(m) < 0.3
    ordered = np.where(
        early, start + rng.integers(0, 28, m), start + rng.integers(0, max(int(span * 0.8), 1), m)
    )
    promo_pick = rng.random(m)
    promo = np.select(
        [
            promo_pick < 0.06,
            promo_pick < 0.11,
            promo_pick < 0.15,
            promo_pick < 0.19,
            promo_pick < 0.20,
        ],
        ["HALF3", "TENOFF6", "NOFEE", "SPRING20", "BOGUS"],
        default="",
    )
    orders = pl.DataFrame(
        {
            "order_id": _ids("O", order_no, 8),
            "customer_id": _ids("C", order_cust, 7),
            "product_id": product_id,
            "connection_id": _ids("K", order_no, 8),
            "ordered_at": _timestamps(ordered, rng.integers(6 * 3600, 22 * 3600, m)),
            "promotion_code": promo,
        }
    )

    # lifecycle of each order
    fate = rng.random(m)
    cancelled = fate < 0.04
    act = ordered + rng.integers(2, 22, m)
    activated = ~cancelled & (act <= end)
    same_day = activated & (fate >= 0.04) & (fate < 0.05)
    pause = activated & (fate >= 0.05) & (fate < 0.08)
    terminated = activated & (fate >= 0.08) & (fate < 0.22)
    act_sec = rng.integers(7 * 3600, 18 * 3600, m)
    late = rng.random(m) < 0.08
    act_rec = act + np.where(late, rng.integers(1, 11, m), 0)
    pause_at = act + rng.integers(20, 100, m)
    resume_at = pause_at + rng.integers(3, 21, m)
    pause = pause & (resume_at <= end)
    term_at = act + rng.integers(30, 300, m)
    terminated = terminated & (term_at <= end)
    t = rng.random(m)
    term_rec = np.where(
        t < 0.5,
        term_at - rng.integers(5, 30, m),
        np.where(t < 0.8, term_at, term_at + rng.integers(3, 16, m)),
    )
    term_rec = np.maximum(term_rec, act_rec)

    order_ids = orders["order_id"].to_numpy()
    ev_order, ev_kind, ev_day, ev_sec, ev_rec = [], [], [], [], []

    def add(mask, kind, day, rec, sec):
        ev_order.append(order_ids[mask])
        ev_kind.append(np.full(mask.sum(), kind))
        ev_day.append(day[mask])
        ev_rec.append(rec[mask])
        ev_sec.append(sec[mask])

    add(activated, "activated", act, act_rec, act_sec)
    add(same_day, "deactivated", act, act_rec, act_sec + 3600)
    add(pause, "deactivated", pause_at, pause_at, act_sec)
    add(pause, "activated", resume_at, resume_at + np.where(late, 2, 0), act_sec)
    ev_day_all = np.concatenate(ev_day)
    ev_order_all = np.concatenate(ev_order)
    ev_sec_all = np.concatenate(ev_sec)
    ev_rec_all = np.concatenate(ev_rec)
    order_by = np.lexsort((ev_sec_all, ev_day_all))
    events = pl.DataFrame(
        {
            "event_id": _ids("E", np.arange(1, len(order_by) + 1), 9),
            "order_id": ev_order_all[order_by],
            "event": np.concatenate(ev_kind)[order_by],
            "occurred_at": _timestamps(ev_day_all[order_by], ev_sec_all[order_by]),
            "recorded_at": _timestamps(ev_rec_all[order_by], ev_sec_all[order_by] + 600),
            "_year": pl.Series(ev_day_all[order_by].astype("int32")).cast(pl.Date).dt.year(),
        }
    )

    oe_mask = cancelled | terminated
    oe_day = np.where(cancelled, ordered + 1, term_at)[oe_mask]
    oe_rec = np.where(cancelled, ordered + 1, term_rec)[oe_mask]
    noon = np.full(oe_mask.sum(), 12 * 3600)
    order_events = pl.DataFrame(
        {
            # typed: a small network may have no cancellation or termination at all
            "order_id": pl.Series(order_ids[oe_mask], dtype=pl.String),
            "event": pl.Series(
                np.where(cancelled, "cancelled", "terminated")[oe_mask], dtype=pl.String
            ),
            "effective_at": _date_strings(oe_day),
            "recorded_at": _timestamps(oe_rec, noon),
        }
    )

    network_status = _network_status(
        spec, rng, orders, act, activated, terminated, term_at, start, end
    )
    return {
        "providers": providers,
        "products": products,
        "customers": customers,
        "payment_methods": payment_methods,
        "promotions": _promotions(spec),
        "orders": orders,
        "order_events": order_events,
        "activation_events": events,
        "network_status": network_status,
    }


def _network_status(spec, rng, orders, act, activated, terminated, term_at, start, end):
    """Daily status per connection while its order is active, plus anomalies."""
    status_start = start if spec.subscribers <= FULL_STATUS_LIMIT else max(start, end - 30)
    m = orders.height
    anomaly = rng.random(m)
    up_early = activated & (anomaly < 0.01)  # provisioning never reported the first days
    up_after = terminated & (anomaly >= 0.01) & (anomaly < 0.03)  # leakage after termination
    first = np.where(up_early, act - rng.integers(2, 6, m), act)
    last = np.where(terminated, term_at - 1, end) + np.where(up_after, rng.integers(3, 10, m), 0)
    first = np.maximum(first, status_start)
    last = np.minimum(last, end)
    has = activated & (last >= first)
    lengths = np.where(has, last - first + 1, 0)
    total = int(lengths.sum())
    conn_idx = np.repeat(np.arange(m), lengths)
    offsets = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    day = first[conn_idx] + offsets
    down = rng.random(total) < 0.004
    conn = orders["connection_id"].to_numpy()
    return pl.DataFrame(
        {
            "connection_id": conn[conn_idx],
            "status_date": _date_strings(day),
            "status": np.where(down, "down", "up"),
        }
    )


def _write(frame: pl.DataFrame, stem: Path, file_format: str) -> None:
    frame = frame.with_columns(pl.col(pl.String).replace("", None))
    if file_format == "parquet":
        frame.write_parquet(f"{stem}.parquet", statistics=False)
    else:
        frame.write_csv(f"{stem}.csv", null_value="")


def generate(spec: NetworkSpec, out: Path) -> dict[str, int]:
    """Write the network to `out` (created if needed); returns row counts per table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frames = generate_frames(spec)
    counts = {}
    for name, frame in frames.items():
        if name == "activation_events":  # daily-delivery style: one file per year
            for (year,), part in frame.partition_by("_year", as_dict=True).items():
                _write(part.drop("_year"), out / f"{name}.{year}", spec.file_format)
            counts[name] = frame.height
            continue
        _write(frame, out / name, spec.file_format)
        counts[name] = frame.height
    (out / "settings.toml").write_text(
        f'timezone = "{spec.timezone}"\n'
        "payment_terms_days = 14\n"
        "grace_days = 7\n"
        'late_fee = { kind = "fixed", value = 5.00 }\n'
        "auto_finalize = true\n"
        "refund_unused_days = { monthly = true, anniversary = false }\n" + SAMPLE_OPERATOR,
        encoding="utf-8",
    )
    return counts


def generate_payments(warehouse: Path, out: Path, seed: int = 7, since: date | None = None) -> int:
    """Write `payments.<last run day>.csv` for the invoices issued after `since` (all when
    None) to customers who pay by other means than Stripe (manual collection, or no usable
    payment method): 80 % paid within 13 days of issue, 8 % paid 8-40 days after the
    due date, 6 % paid in half, 6 % not paid. Deterministic for a warehouse, seed and day.
    Returns the number of payments written."""
    with connect(warehouse, read_only=True) as con:
        (query,) = SQL.statements("manual_invoices")
        result = con.execute(query, {"since": since})
        columns = [c[0] for c in result.description]
        invoices = pl.DataFrame(result.fetchall(), schema=columns, orient="row")
    if invoices.is_empty():
        return 0
    last_run = invoices["last_run_date"][0]
    rng = np.random.default_rng([seed, last_run.toordinal()])
    n = invoices.height
    fate = rng.random(n)
    issue = invoices["issue_date"].cast(pl.Int32).to_numpy()
    due = invoices["due_date"].cast(pl.Int32).to_numpy()
    cents = (invoices["total"].cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64).to_numpy()
    on_time = issue + rng.integers(1, 14, n)
    late = due + rng.integers(8, 40, n)
    received = np.where(fate < 0.80, on_time, late)
    amount = np.where((fate >= 0.88) & (fate < 0.94), cents // 2, cents)
    keep = fate < 0.94
    payments = pl.DataFrame(
        {
            "payment_id": _ids(f"MP{last_run:%Y%m%d}-", np.arange(1, n + 1), 6),
            "invoice_number": invoices["invoice_number"],
            "amount": _money(amount),
            "currency": invoices["currency"],
            "received_at": _timestamps(received, np.full(n, 10 * 3600)),
            "method": np.full(n, "bank_transfer"),
        }
    ).filter(pl.Series(keep))
    _write(payments, Path(out) / f"payments.{last_run.isoformat()}", "csv")
    return payments.height
