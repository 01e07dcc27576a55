"""Wholesale specifications: published on the 1st of each month, append-only, like invoices.

What each order's wholesale charges amount to, per month and knowledge version, is derived
by dbt (`intermediate.int_wholesale__by_version`). On each run day that is the 1st, this
module publishes, for every provider, the spec of the month before: a `recurring` line per
order active in it and a `start_fee` line per order first active in it, as known that day,
plus `adjustment` lines (with their original month) wherever news recorded since changed an
earlier month's published amounts. Published lines are never changed. No Dagster import.
"""

from __future__ import annotations

from datetime import date

import duckdb

from ingest.loader import fetch

BY_VERSION = "intermediate.int_wholesale__by_version"

DDL = (
    """create table if not exists ledger.wholesale_spec_lines (
        provider_id VARCHAR, spec_month VARCHAR, line_number INTEGER, kind VARCHAR,
        order_id VARCHAR, connection_id VARCHAR, product_id VARCHAR, service_start DATE,
        service_end DATE, days INTEGER, period_days INTEGER, amount_cents BIGINT,
        currency VARCHAR, original_month VARCHAR, original_kind VARCHAR)""",
    """create table if not exists ledger.wholesale_specs (
        provider_id VARCHAR, spec_month VARCHAR, line_count INTEGER, total_cents BIGINT,
        currency VARCHAR, generated_on DATE)""",
)

# What is owed, as known on $day, for every order, month (before $day's month) and kind.
TARGETS = f"""
    with version_now as (
        select order_id, max(version_date) as version_date
        from intermediate.int_order_versions
        where version_date <= $day
        group by order_id
    )
    select w.order_id, strftime(w.month_start_date, '%Y-%m') as month, w.kind,
        w.amount_cents, w.service_start_date, w.service_end_date, w.active_days,
        w.period_days
    from {BY_VERSION} w join version_now v using (order_id, version_date)
    where w.month_start_date < date_trunc('month', $day)
"""

PUBLISH = f"""
create or replace temp table _spec_lines as
with targets as ({TARGETS}),
published as (
    select order_id, original_month as month, original_kind as kind,
        sum(amount_cents) as published_cents
    from ledger.wholesale_spec_lines
    group by all
),
diffs as (
    select coalesce(t.order_id, p.order_id) as order_id,
        coalesce(t.month, p.month) as month,
        coalesce(t.kind, p.kind) as original_kind,
        coalesce(t.amount_cents, 0) - coalesce(p.published_cents, 0) as amount_cents,
        t.service_start_date, t.service_end_date, t.active_days, t.period_days,
        p.order_id is not null as was_published
    from targets t
    full join published p using (order_id, month, kind)
),
lines as (
    select d.*,
        case when d.month = $spec_month and not d.was_published then d.original_kind
             else 'adjustment' end as kind,
        o.provider_id, o.connection_id, o.product_id, o.currency
    from diffs d join intermediate.int_orders__billing o using (order_id)
    where d.amount_cents <> 0 and d.month <= $spec_month
)
select provider_id, $spec_month as spec_month,
    cast(row_number() over (partition by provider_id
        order by month, order_id, kind = 'adjustment', original_kind)
        as integer) as line_number,
    kind, order_id, connection_id, product_id, service_start_date as service_start,
    service_end_date as service_end, cast(active_days as integer) as days,
    cast(period_days as integer) as period_days, cast(amount_cents as bigint) as amount_cents,
    currency, month as original_month, original_kind
from lines
"""


def ensure(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        fetch(con, statement)


def publish(con: duckdb.DuckDBPyConnection, day: date) -> int:
    """Publish the specs of the month before `day` (a 1st). Returns the number of specs."""
    previous = date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
    spec_month = previous.strftime("%Y-%m")
    ensure(con)
    if fetch(con, "select count(*) from ledger.wholesale_specs where spec_month = ?", [spec_month])[
        0
    ][0]:
        return 0  # already published: a spec never changes
    fetch(con, PUBLISH, {"day": day, "spec_month": spec_month})
    fetch(con, "insert into ledger.wholesale_spec_lines select * from _spec_lines")
    return fetch(
        con,
        """
        insert into ledger.wholesale_specs
        select provider_id, spec_month, count(*), sum(amount_cents), any_value(currency), ?
        from _spec_lines group by provider_id, spec_month
        """,
        [day],
    )[0][0]
