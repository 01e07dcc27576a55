"""Invariants over random networks from the generator (hypothesis picks the seeds).

For each network, billed through its last day:
- for each order and charge, what was issued (lines net of credits, void invoices aside)
  sums to the amount now owed;
- for monthly products without promotions, that amount equals an independent day-by-day
  computation from the raw events: sum of price(d) / days in month over active days;
- invoice and credit note numbers are gapless; every total is its lines plus tax;
- no credit note exceeds the invoice it credits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fiberbill import run as runner
from fiberbill.samples.generator import NetworkSpec, generate

TZ = "Europe/Oslo"  # the generator's operator timezone
SPEC = dict(subscribers=60, providers=2, start=date(2025, 11, 1), months=5)


def q(con, sql):
    return con.execute(sql).fetchall()


def oracle_monthly(con, order_ids, end: date) -> dict[tuple[str, date], int]:
    """Cents owed per (order, month) from raw events, in plain Python."""
    events = defaultdict(list)
    # what the last run day knows: events recorded (local date) by `end`
    known = f"cast(timezone('{TZ}', recorded_at) as date) <= '{end}'"
    for order_id, event, day in q(
        con,
        f"select order_id, event, cast(timezone('{TZ}', occurred_at) as date) from "
        f"raw.activation_events where {known} order by occurred_at, event_id",
    ):
        events[order_id].append((event, day))
    ends = dict(
        q(
            con,
            f"select order_id, min(cast(timezone('{TZ}', effective_at) as date)) "
            f"from raw.order_events where {known} group by 1",
        )
    )
    prices = defaultdict(list)
    for product_id, valid_from, price in q(
        con, "select product_id, valid_from, monthly_price from raw.products order by valid_from"
    ):
        prices[product_id].append((valid_from, price))
    product = dict(q(con, "select order_id, product_id from raw.orders"))
    owed = {}
    for order_id in order_ids:
        day_state = {}
        for event, day in events[order_id]:
            day_state[day] = event  # the last event of a day wins
        if not day_state:
            continue
        day, state = min(day_state), None
        totals = defaultdict(Decimal)
        while day <= end + timedelta(days=62):
            state = day_state.get(day, state)
            if state == "activated" and (order_id not in ends or day < ends[order_id]):
                rows = prices[product[order_id]]
                price = next((p for f, p in reversed(rows) if f <= day), rows[0][1])
                month = day.replace(day=1)
                days_in_month = ((month + timedelta(days=32)).replace(day=1) - month).days
                totals[month] += price * 100 / days_in_month
            day += timedelta(days=1)
        for month, amount in totals.items():
            if month <= end:
                owed[(order_id, month)] = int(amount.quantize(Decimal(1), ROUND_HALF_UP))
    return owed


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_billing_invariants_hold_on_random_networks(tmp_path_factory, seed):
    folder = tmp_path_factory.mktemp("net")
    spec = NetworkSpec(seed=seed, **SPEC)
    generate(spec, folder)
    warehouse = folder / "wh.duckdb"
    runner.run(
        folder,
        spec.end,
        warehouse=warehouse,
        exports=folder / "exports",
        payments="none",
        documents=False,  # the invariants are the ledger's; tests/documents render PDFs
    )
    con = duckdb.connect(str(warehouse), read_only=True)

    issued = dict(
        ((o, k), v)
        for o, k, v in q(
            con,
            """
        -- late fees (no order) are not part of the oracle; tests/billing/test_lifecycle.py
        with live as (select * from ledger.invoice_lines where order_id is not null
                      and invoice_id not in (select invoice_id from ledger.invoice_voids)),
        credits as (select * from ledger.credit_allocations
                    where invoice_id not in (select invoice_id from ledger.invoice_voids))
        select order_id, charge_key, sum(c) from (
            select order_id, charge_key, amount_cents as c from live
            union all select order_id, charge_key, -amount_cents from credits)
        group by all""",
        )
    )
    owed = dict(
        ((o, k), v)
        for o, k, v in q(
            con,
            """
        select order_id, charge_key, arg_max(target_cents, change_date)
        from intermediate.int_charges__targets group by all""",
        )
    )
    for key in set(issued) | set(owed):
        assert issued.get(key, 0) == owed.get(key, 0), key

    plain = [
        o
        for (o,) in q(
            con,
            """
        select o.order_id from raw.orders o join raw.products p using (product_id)
        where p.billing_cycle = 'monthly' and o.promotion_warning is null
            and o.promotion_code is null group by 1""",
        )
    ]
    expected = oracle_monthly(con, plain, spec.end)
    computed = {
        (o, date.fromisoformat(k)): v
        for (o, k), v in owed.items()
        if o in set(plain) and k != "start_fee"
    }
    assert {k: v for k, v in computed.items() if v} == {k: v for k, v in expected.items() if v}

    numbers = [
        n
        for (n,) in q(
            con,
            "select invoice_number from ledger.invoices "
            "where invoice_number is not null order by 1",
        )
    ]
    for year in {n.split("-")[1] for n in numbers}:
        seq = [int(n.split("-")[2]) for n in numbers if n.split("-")[1] == year]
        assert seq == list(range(1, len(seq) + 1))
    assert q(
        con,
        """
        select count(*) from marts.invoices i
        left join (select invoice_number, sum(amount) s from marts.invoice_lines group by 1) l
            using (invoice_number)
        where i.total <> coalesce(l.s, 0) + i.tax_total""",
    ) == [(0,)]
    assert q(
        con,
        """
        select count(*) from marts.invoices i
        join (select invoice_number, sum(amount) s from marts.credit_notes group by 1) c
            using (invoice_number)
        where c.s > i.total""",
    ) == [(0,)]
    con.close()
