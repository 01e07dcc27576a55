"""The append-only ledger of issued documents: invoices, their lines, credit notes, voids.

What each charge amounts to, day by day, is derived by the dbt models
(`intermediate.int_charges__targets`). The ledger only issues documents: for each run day in
order it compares what is owed for every charge that changed that day with what has already
been issued, and writes the difference as invoice lines, credit notes or voids. Every
statement is set-based over all customers; there is no loop per customer.

Nothing is ever updated or deleted here. No Dagster import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import duckdb

from dagster_project import wholesale
from ingest.loader import fetch
from ingest.settings import Settings

TARGETS = "intermediate.int_charges__targets"

# The ledger's tables (and its one view), as the Dagster assets and dbt sources name them.
TABLES = (
    "run_days",
    "invoices",
    "invoice_lines",
    "credit_notes",
    "credit_allocations",
    "invoice_voids",
    "balance_events",
    "balance_applications",
    "invoice_finalizations",
    "invoice_writeoffs",
    "invoice_late",
    "late_fee_waivers",
    "invoice_status_history",
    "collected_payments",
    "payment_attempts",
    "payment_method_declines",
    "stripe_refunds",
    "stripe_refund_events",
    "refund_status",
    "invoice_documents",
    "wholesale_spec_lines",
    "wholesale_specs",
)

DDL = (
    "create schema if not exists ledger",
    """create table if not exists ledger.run_days (
        run_date DATE, completed_at TIMESTAMPTZ)""",
    """create table if not exists ledger.invoices (
        invoice_id BIGINT, invoice_number VARCHAR, customer_id VARCHAR, currency VARCHAR,
        created_date DATE, issue_date DATE, due_date DATE, tax_cents BIGINT)""",
    """create table if not exists ledger.invoice_lines (
        invoice_id BIGINT, line_number INTEGER, order_id VARCHAR, charge_key VARCHAR,
        customer_id VARCHAR, product_id VARCHAR, provider_id VARCHAR, kind VARCHAR,
        service_start DATE, service_end DATE, days INTEGER, period_days INTEGER,
        amount_cents BIGINT, tax_rate DECIMAL(12,6), currency VARCHAR,
        ref_invoice_id BIGINT, description VARCHAR)""",
    """create table if not exists ledger.credit_notes (
        credit_note_id BIGINT, credit_note_number VARCHAR, invoice_id BIGINT,
        customer_id VARCHAR, issue_date DATE, reason VARCHAR, amount_cents BIGINT,
        currency VARCHAR)""",
    """create table if not exists ledger.credit_allocations (
        credit_note_id BIGINT, invoice_id BIGINT, order_id VARCHAR, charge_key VARCHAR,
        tax_rate DECIMAL(12,6), amount_cents BIGINT, run_date DATE)""",
    """create table if not exists ledger.invoice_voids (
        invoice_id BIGINT, void_date DATE)""",
    """create table if not exists ledger.balance_events (
        customer_id VARCHAR, currency VARCHAR, invoice_id BIGINT, amount_cents BIGINT,
        run_date DATE)""",
    """create table if not exists ledger.balance_applications (
        application_id BIGINT, invoice_id BIGINT, customer_id VARCHAR, currency VARCHAR,
        amount_cents BIGINT, run_date DATE)""",
    # drafts get their number, issue day and due day when finalized
    """create table if not exists ledger.invoice_finalizations (
        invoice_id BIGINT, invoice_number VARCHAR, issue_date DATE, due_date DATE,
        finalized_at TIMESTAMPTZ)""",
    """create table if not exists ledger.invoice_writeoffs (
        invoice_id BIGINT, writeoff_date DATE, reason VARCHAR, recorded_at TIMESTAMPTZ)""",
    """create table if not exists ledger.invoice_late (invoice_id BIGINT, late_date DATE)""",
    # late invoices that will never get a late fee, and why
    """create table if not exists ledger.late_fee_waivers (
        invoice_id BIGINT, reason VARCHAR, run_date DATE)""",
    """create table if not exists ledger.invoice_status_history (
        history_id BIGINT, invoice_id BIGINT, status_date DATE, status VARCHAR,
        cause VARCHAR, recorded_at TIMESTAMPTZ)""",
    # money collected through Stripe, on the run day its success was seen
    """create table if not exists ledger.collected_payments (
        payment_id VARCHAR, invoice_id BIGINT, amount_cents BIGINT, currency VARCHAR,
        method VARCHAR, received_date DATE, received_at TIMESTAMPTZ)""",
    # refunds owed through Stripe when a credit note gives back money paid through it
    # the collection state of each Stripe payment attempt, one row per change, per run day
    """create table if not exists ledger.payment_attempts (
        event_id BIGINT, attempt_key VARCHAR, invoice_id BIGINT, attempt_no INTEGER,
        method VARCHAR, payment_intent_id VARCHAR, status VARCHAR, failure_reason VARCHAR,
        amount_cents BIGINT, run_date DATE, journal_event_id BIGINT)""",
    # payment methods Stripe refused to attach: not usable for collection
    """create table if not exists ledger.payment_method_declines (
        customer_id VARCHAR, stripe_payment_method_id VARCHAR, reason VARCHAR,
        run_date DATE)""",
    """create table if not exists ledger.stripe_refunds (
        credit_note_id BIGINT, invoice_id BIGINT, amount_cents BIGINT, run_date DATE)""",
    # what Stripe answered for each refund (pending, succeeded, failed, canceled), per run
    # day, mirrored from the collection journal
    """create table if not exists ledger.stripe_refund_events (
        refund_key VARCHAR, credit_note_id BIGINT, invoice_id BIGINT, refund_id VARCHAR,
        status VARCHAR, detail VARCHAR, run_date DATE, journal_recorded_at TIMESTAMPTZ)""",
    # each refund owed through Stripe with Stripe's latest answer; money counts as given
    # back unless Stripe said it failed (then it stays the customer's credit balance)
    """create or replace view ledger.refund_status as
        select r.*, coalesce(e.status, 'planned') as refund_status, e.refund_id,
            e.detail as refund_detail,
            coalesce(e.status, 'planned') not in ('failed', 'canceled') as is_given
        from ledger.stripe_refunds r
        left join (
            select * from ledger.stripe_refund_events
            qualify row_number() over (
                partition by credit_note_id order by journal_recorded_at desc) = 1
        ) e using (credit_note_id)""",
    """create or replace view ledger.invoice_documents as
        select i.invoice_id, coalesce(i.invoice_number, f.invoice_number) as invoice_number,
            i.customer_id, i.currency, i.created_date,
            coalesce(i.issue_date, f.issue_date) as issue_date,
            coalesce(i.due_date, f.due_date) as due_date, i.tax_cents
        from ledger.invoices i left join ledger.invoice_finalizations f using (invoice_id)""",
)

# Manual payments that count: they name an issued invoice, in its currency, received on or
# after its issue day and by the run day.
VALID_PAYMENTS = """
    select i.invoice_id, p.amount_cents, p.received_date
    from staging.stg_inputs__payments p
    join ledger.invoice_documents i
        on p.invoice_number = i.invoice_number and p.currency = i.currency
    where p.received_date between i.issue_date and $day
"""

# Money received for each invoice by the run day, signed: manual payments, credit balance
# applied, Stripe collections, less refunds through Stripe.
RECEIVED = f"""
    select invoice_id, amount_cents, received_date from ({VALID_PAYMENTS})
    union all
    select invoice_id, amount_cents, run_date from ledger.balance_applications
    union all
    select invoice_id, amount_cents, received_date from ledger.collected_payments
    where received_date <= $day
    union all
    select invoice_id, -amount_cents, run_date from ledger.refund_status where is_given
"""


def money_sql(scope: str) -> str:
    """Where each invoice in `scope` (a query of invoice_id) stands on the run day $day:
    its total, money received and credited, and what it still owes."""
    return f"""
    with scope as ({scope}),
    received as (
        select invoice_id, sum(amount_cents) as received_cents from ({RECEIVED})
        where invoice_id in (select invoice_id from scope) group by all
    ),
    credited as (
        select invoice_id, sum(amount_cents) as credited_cents from ledger.credit_notes
        where invoice_id in (select invoice_id from scope) group by all
    ),
    lines as (
        select invoice_id, sum(amount_cents) as line_cents,
            bool_and(kind = 'late_fee') as only_late_fees
        from ledger.invoice_lines
        where invoice_id in (select invoice_id from scope) group by all
    )
    select d.*,
        coalesce(l.line_cents, 0) + d.tax_cents as total_cents,
        coalesce(r.received_cents, 0) as received_cents,
        coalesce(c.credited_cents, 0) as credited_cents,
        coalesce(l.line_cents, 0) + d.tax_cents - coalesce(r.received_cents, 0)
            - coalesce(c.credited_cents, 0) as owed_cents,
        coalesce(l.only_late_fees, false) as only_late_fees,
        d.invoice_id in (select invoice_id from ledger.invoice_voids) as is_void,
        d.invoice_id in (select invoice_id from ledger.invoice_writeoffs) as is_written_off,
        d.invoice_id in (select invoice_id from ledger.invoice_late) as is_late
    from ledger.invoice_documents d
    left join received r using (invoice_id)
    left join credited c using (invoice_id)
    left join lines l using (invoice_id)
    where d.invoice_id in (select invoice_id from scope)
    """


# Credit balance arising today: money received for an invoice beyond what it still owes
# (an overpayment, a credit note on a paid invoice, any payment to a void invoice), for the
# invoices something happened to today.
_ARISING_SCOPE = f"""
    select invoice_id from ({VALID_PAYMENTS}) where received_date = $day or $catch_up
    union select invoice_id from ledger.collected_payments where received_date = $day
    union select invoice_id from ledger.credit_notes where issue_date = $day
    union select invoice_id from ledger.invoice_voids where void_date = $day
    union select invoice_id from ledger.stripe_refund_events
    where run_date = $day and status in ('failed', 'canceled')
"""
BALANCE_ARISING = f"""
insert into ledger.balance_events
with money as ({money_sql(_ARISING_SCOPE)}),
excess as (
    select m.*,
        case when m.is_void then m.received_cents else greatest(0, -m.owed_cents) end
        - coalesce((select sum(amount_cents) from ledger.balance_events b
                    where b.invoice_id = m.invoice_id), 0) as new_cents
    from money m
)
select customer_id, currency, invoice_id, new_cents, $day from excess where new_cents > 0
"""

# The customer's credit balance pays the invoices issued today, in number order.
_ISSUED_TODAY = """
    select invoice_id from ledger.invoice_documents
    where issue_date = $day and invoice_number is not null
"""
BALANCE_APPLIED = f"""
insert into ledger.balance_applications
with balances as (
    select customer_id, currency, sum(amount_cents) as balance_cents
    from (
        select customer_id, currency, amount_cents from ledger.balance_events
        union all
        select customer_id, currency, -amount_cents from ledger.balance_applications
    )
    group by all
    having sum(amount_cents) > 0
),
todays as ({money_sql(_ISSUED_TODAY)}),
ranked as (
    select t.*, b.balance_cents,
        coalesce(sum(t.owed_cents) over (
            partition by t.customer_id, t.currency order by t.invoice_number
            rows between unbounded preceding and 1 preceding), 0) as before_cents
    from todays t join balances b using (customer_id, currency)
    where t.owed_cents > 0 and not t.is_void and not t.is_written_off
)
select $first_id + row_number() over (order by invoice_number), invoice_id, customer_id,
    currency, least(owed_cents, balance_cents - before_cents), $day
from ranked
where balance_cents > before_cents
"""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        fetch(con, statement)
    wholesale.ensure(con)


def last_run_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last run day done, or None. Writes nothing: works on a read-only connection."""
    exists = fetch(
        con,
        "select count(*) from information_schema.tables "
        "where table_schema = 'ledger' and table_name = 'run_days'",
    )[0][0]
    return fetch(con, "select max(run_date) from ledger.run_days")[0][0] if exists else None


def first_event_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The earliest day anything is owed to anyone: the first change of any retail charge,
    or the first active day of any wholesale charge (a provider that bills its own retail
    still owes the operator wholesale)."""
    return fetch(
        con,
        f"select min(d) from (select min(change_date) as d from {TARGETS} "
        f"union all select min(service_start_date) from {wholesale.BY_VERSION})",
    )[0][0]


# What is owed today for every charge whose target changed today (on the first day of a
# call: every charge, so rows loaded by this call are caught up too).
OWED = f"""
create or replace temp table _owed as
with targets as (
    select * from {TARGETS}
    where change_date = $day or ($catch_up and change_date < $day)
    qualify row_number() over (
        partition by order_id, charge_key order by change_date desc) = 1
),
live_lines as (
    select l.* from ledger.invoice_lines l
    where l.charge_key is not null
        and l.invoice_id not in (select invoice_id from ledger.invoice_voids)
),
issued as (
    select order_id, charge_key, sum(amount_cents) as line_cents, count(*) as line_count
    from live_lines
    where (order_id, charge_key) in (select (order_id, charge_key) from targets)
    group by all
),
credited as (
    select order_id, charge_key, sum(amount_cents) as credit_cents
    from ledger.credit_allocations
    where invoice_id not in (select invoice_id from ledger.invoice_voids)
        and (order_id, charge_key) in (select (order_id, charge_key) from targets)
    group by all
)
select
    t.*,
    coalesce(i.line_count, 0) = 0 as is_fresh,
    t.target_cents - coalesce(i.line_cents, 0) + coalesce(c.credit_cents, 0) as owed_cents
from targets t
left join issued i using (order_id, charge_key)
left join credited c using (order_id, charge_key)
where t.target_cents - coalesce(i.line_cents, 0) + coalesce(c.credit_cents, 0) <> 0
    -- a charge and its discount that cancel out are still two lines (a 100 % promotion)
    or (coalesce(i.line_count, 0) = 0 and t.target_cents = 0 and t.due_charge_cents <> 0
        and t.charge_cents = t.discount_cents)
"""

# New invoice lines for positive amounts owed. A charge billed for the first time gets its
# recurring (or start fee) line and its discount line; later increases are adjustments.
NEW_LINES = """
create or replace temp table _new_lines as
with fresh as (
    select * from _owed
    where owed_cents >= 0 and is_fresh and owed_cents = charge_cents - discount_cents
        and charge_cents > 0
),
lines as (
    select order_id, charge_key, customer_id, currency, product_id, provider_id,
        charge_kind as kind, service_start_date as service_start,
        service_end_date as service_end,
        case when charge_kind = 'start_fee' then null else active_days end as days,
        case when charge_kind = 'start_fee' then null else period_days end as period_days,
        charge_cents as amount_cents, tax_rate, 1 as sort_order,
        cast(null as bigint) as ref_invoice_id
    from fresh
    union all
    select order_id, charge_key, customer_id, currency, product_id, provider_id,
        'discount', promotion_service_start_date, promotion_service_end_date,
        promotion_days, period_days, -discount_cents, tax_rate, 2, null
    from fresh where discount_cents <> 0
    union all
    select order_id, charge_key, customer_id, currency, product_id, provider_id,
        'adjustment', service_start_date, service_end_date, active_days, period_days,
        owed_cents, tax_rate, 3,
        -- the latest invoice that billed this charge
        (select max(x.invoice_id) from ledger.invoice_lines x
         where x.order_id = _owed.order_id and x.charge_key = _owed.charge_key)
    from _owed
    where owed_cents > 0
        and not (is_fresh and owed_cents = charge_cents - discount_cents)
)
select * from lines where amount_cents <> 0
"""

# Negative amounts owed are credited against the invoices that billed the charge, newest
# first, each up to what that invoice still holds for the charge.
ALLOCATE = """
create or replace temp table _alloc as
with need as (
    select order_id, charge_key, -owed_cents as need_cents, is_ended
    from _owed where owed_cents < 0
),
held as (
    select l.invoice_id, l.order_id, l.charge_key, any_value(l.tax_rate) as tax_rate,
        sum(l.amount_cents) - coalesce(any_value(a.credit_cents), 0) as held_cents
    from ledger.invoice_lines l
    join need using (order_id, charge_key)
    left join (
        select invoice_id, order_id, charge_key, sum(amount_cents) as credit_cents
        from ledger.credit_allocations group by all
    ) a using (invoice_id, order_id, charge_key)
    where l.invoice_id not in (select invoice_id from ledger.invoice_voids)
    group by all
    having sum(l.amount_cents) - coalesce(any_value(a.credit_cents), 0) > 0
),
ranked as (
    select held.*, need.need_cents, need.is_ended,
        coalesce(sum(held_cents) over (
            partition by held.order_id, held.charge_key order by held.invoice_id desc
            rows between unbounded preceding and 1 preceding), 0) as newer_cents
    from held join need using (order_id, charge_key)
)
select invoice_id, order_id, charge_key, tax_rate, is_ended,
    least(held_cents, need_cents - newer_cents) as amount_cents
from ranked
where need_cents > newer_cents
"""

# Per invoice touched today: its lines and credits per tax rate, before and after today.
INVOICE_EFFECT = """
create or replace temp table _effect as
with touched as (select distinct invoice_id from _alloc),
lines as (
    select invoice_id, tax_rate, sum(amount_cents) as line_cents
    from ledger.invoice_lines where invoice_id in (select invoice_id from touched)
    group by all
),
earlier as (
    select invoice_id, tax_rate, sum(amount_cents) as credit_cents
    from ledger.credit_allocations where invoice_id in (select invoice_id from touched)
    group by all
),
today as (
    select invoice_id, tax_rate, sum(amount_cents) as credit_cents,
        bool_or(is_ended) as is_ended
    from _alloc group by all
),
per_rate as (
    select l.invoice_id, l.tax_rate,
        l.line_cents - coalesce(e.credit_cents, 0) as before_cents,
        l.line_cents - coalesce(e.credit_cents, 0) - coalesce(t.credit_cents, 0)
            as after_cents,
        coalesce(t.credit_cents, 0) as today_cents,
        coalesce(t.is_ended, false) as is_ended
    from lines l
    left join earlier e using (invoice_id, tax_rate)
    left join today t using (invoice_id, tax_rate)
)
select invoice_id,
    sum(before_cents + cast(round(before_cents * tax_rate, 0) as bigint)) as before_total,
    sum(after_cents + cast(round(after_cents * tax_rate, 0) as bigint)) as after_total,
    sum(today_cents) as today_cents,
    bool_or(is_ended) as is_ended
from per_rate group by invoice_id
"""


# Invoices that turn late today: finalized, past due date + grace days, still owing.
_TURNING_LATE = """
    select invoice_id from ledger.invoice_documents
    where invoice_number is not null and due_date + $grace < $day
        and (due_date + $grace + 1 = $day or $catch_up)
        and invoice_id not in (select invoice_id from ledger.invoice_late)
"""
LATE = f"""
insert into ledger.invoice_late
select invoice_id, $day from ({money_sql(_TURNING_LATE)})
where owed_cents > 0 and not is_void and not is_written_off
"""

# Stripe payments still processing on the run day, per invoice.
PROCESSING = """
    select invoice_id from ledger.payment_attempts
    where run_date <= $day
    qualify row_number() over (partition by attempt_key order by event_id desc) = 1
        and status = 'processing'
"""

# The late fee owed for each late invoice that has none yet: decided once, on the first
# run day on which no SEPA or ACH payment for the invoice is still processing.
_FEE_PENDING = """
    select invoice_id from ledger.invoice_late
    where invoice_id not in (
            select ref_invoice_id from ledger.invoice_lines
            where kind = 'late_fee' and ref_invoice_id is not null)
        and invoice_id not in (select invoice_id from ledger.late_fee_waivers)
"""
LATE_FEES = f"""
create or replace temp table _late_fees as
with pending as ({money_sql(_FEE_PENDING)}),
decided as (
    select p.*,
        case $fee_kind
            when 'fixed' then $fee_fixed_cents
            when 'percent' then
                cast(round(p.owed_cents * cast($fee_rate as decimal(20, 8)), 0) as bigint)
            else 0
        end as fee_cents
    from pending p
    where p.invoice_id not in ({PROCESSING})
)
select *,
    case
        when $fee_kind = 'none' then 'late_fee kind is none'
        when only_late_fees then 'the invoice holds only late fees'
        when is_void or is_written_off or owed_cents <= 0 then 'settled before the fee was due'
        when fee_cents <= 0 then 'the fee rounds to 0.00'
    end as waiver
from decided
"""

# Each invoice's status on the run day, recorded when it differs from its last one.
STATUS = """
insert into ledger.invoice_status_history
with money as ({money}),
current as (
    select invoice_id, total_cents,
        case
            when is_void then 'void'
            when is_written_off then 'uncollectible'
            when invoice_number is null then 'draft'
            when owed_cents <= 0 then 'paid'
            when is_late then 'late'
            else 'open'
        end as status,
        credited_cents >= total_cents as by_credit
    from money
),
last as (
    select invoice_id, status from ledger.invoice_status_history
    where invoice_id in (select invoice_id from current)
    qualify row_number() over (partition by invoice_id order by history_id desc) = 1
)
select $first_id + row_number() over (order by c.invoice_id), c.invoice_id, $day, c.status,
    case c.status
        when 'draft' then 'created'
        when 'open' then case coalesce(l.status, '')
            when '' then 'issued' when 'draft' then 'finalized' else 'reopened' end
        when 'paid' then case
            when c.total_cents = 0 then 'zero total'
            when c.by_credit then 'credited'
            else 'payment' end
        when 'late' then 'overdue'
        when 'void' then 'voided'
        when 'uncollectible' then $cause
    end,
    now()
from current c left join last l using (invoice_id)
where l.status is distinct from c.status
"""

TOUCHED_TODAY = f"""
    select invoice_id from _invoices
    union select invoice_id from ledger.invoice_voids where void_date = $day
    union select invoice_id from ledger.credit_notes where issue_date = $day
    union select invoice_id from ledger.invoice_late where late_date = $day
    union select invoice_id from ledger.balance_applications where run_date = $day
    union select invoice_id from ledger.collected_payments where received_date = $day
    union select invoice_id from ledger.stripe_refunds where run_date = $day
    union select invoice_id from ledger.payment_attempts where run_date = $day
    union select invoice_id from ({VALID_PAYMENTS}) where received_date = $day or $catch_up
"""


def record_statuses(
    con: duckdb.DuckDBPyConnection, day: date, scope: str, params: dict, cause: str = ""
) -> None:
    """Append a status history row for each invoice in `scope` whose status changed."""
    first = _next_id(con, "ledger.invoice_status_history", "history_id")
    _sql(
        con,
        STATUS.format(money=money_sql(scope)),
        params | {"day": day, "first_id": first, "cause": cause},
    )


def _next_id(con, table: str, column: str) -> int:
    return fetch(con, f"select coalesce(max({column}), 0) from {table}")[0][0]


def _year_sequence(con, table: str, column: str, prefix: str, year: int) -> int:
    """The last number used in `prefix-YYYY-NNNNNN` for that year (0 if none)."""
    like = f"{prefix}-{year}-%"
    return fetch(
        con,
        f"select coalesce(max(cast(split_part({column}, '-', -1) as bigint)), 0) "
        f"from {table} where {column} like ?",
        [like],
    )[0][0]


def _sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    """Run `sql` with the named parameters it uses (DuckDB rejects unused ones)."""
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return fetch(con, sql, {k: v for k, v in (params or {}).items() if k in used})


def _late_fee_params(settings: Settings) -> dict:
    fee = settings.late_fee
    return {
        "grace": settings.grace_days,
        "fee_kind": fee.kind,
        "fee_fixed_cents": int(fee.value * 100) if fee.kind == "fixed" else 0,
        "fee_rate": str(fee.value / 100) if fee.kind == "percent" else "0",
    }


_CREDITED_TODAY = "select invoice_id from _credit_notes"
REFUNDS_PLANNED = f"""
insert into ledger.stripe_refunds
with money as ({money_sql(_CREDITED_TODAY)}),
collected as (
    select invoice_id, sum(amount_cents) as net_cents from (
        select invoice_id, amount_cents from ledger.collected_payments
        where invoice_id in (select invoice_id from _credit_notes)
        union all
        select invoice_id, -amount_cents from ledger.refund_status
        where is_given and invoice_id in (select invoice_id from _credit_notes)
    ) group by all
),
excess as (
    select m.invoice_id, c.net_cents,
        greatest(0, -m.owed_cents) - coalesce((select sum(amount_cents)
            from ledger.balance_events b where b.invoice_id = m.invoice_id), 0) as excess_cents
    from money m join collected c using (invoice_id)
)
select n.credit_note_id, e.invoice_id, least(e.excess_cents, e.net_cents), $day
from excess e join _credit_notes n using (invoice_id)
where least(e.excess_cents, e.net_cents) > 0
"""


def _exists(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None) -> bool:
    """Whether `query` returns a row. A step whose input is empty would write nothing, so
    run_day skips its statements (on a quiet day their planning is most of the cost)."""
    return _sql(con, f"select exists ({query})", params)[0][0]


def credit_today(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, params: dict
) -> dict[str, int]:
    """Today's credits (`_alloc`), per invoice: a void for an invoice with no money received
    that would owe nothing after them, else a credit note (tax included), and a refund
    through Stripe of money collected beyond what the invoice still owes."""
    _sql(con, INVOICE_EFFECT)
    voided = _sql(
        con,
        f"""
        insert into ledger.invoice_voids
        select e.invoice_id, $day from _effect e
        join ledger.invoice_documents i using (invoice_id)
        where e.after_total = 0 and i.invoice_number is not null
            and e.invoice_id not in (select invoice_id from ({RECEIVED}))
        """,
        params,
    )

    # credit notes: one per invoice and day, tax included
    first_cn = _next_id(con, "ledger.credit_notes", "credit_note_id")
    cn_seq = _year_sequence(
        con, "ledger.credit_notes", "credit_note_number", settings.credit_note_prefix, day.year
    )
    fetch(
        con,
        """
        create or replace temp table _credit_notes as
        select
            ? + row_number() over (order by i.invoice_number, e.invoice_id) as credit_note_id,
            ? || '-' || ? || '-' || lpad(cast(? + row_number() over (
                order by i.invoice_number, e.invoice_id) as varchar), 6, '0')
                as credit_note_number,
            e.invoice_id, i.customer_id, cast(? as date) as issue_date,
            case when e.is_ended then 'termination_refund' else 'correction' end as reason,
            e.before_total - e.after_total as amount_cents, i.currency
        from _effect e join ledger.invoice_documents i using (invoice_id)
        where e.invoice_id not in (select invoice_id from ledger.invoice_voids)
            and e.before_total > e.after_total
        """,
        [first_cn, settings.credit_note_prefix, str(day.year), cn_seq, day],
    )
    fetch(con, "insert into ledger.credit_notes select * from _credit_notes")
    fetch(
        con,
        """
        insert into ledger.credit_allocations
        select c.credit_note_id, a.invoice_id, a.order_id, a.charge_key, a.tax_rate,
            a.amount_cents, ?
        from _alloc a join _credit_notes c using (invoice_id)
        """,
        [day],
    )
    # money a credit note gives back beyond what the invoice owed goes back through Stripe
    _sql(con, REFUNDS_PLANNED, params)
    return {
        "voids": voided[0][0] if voided else 0,
        "credit_notes": fetch(con, "select count(*) from _credit_notes")[0][0],
    }


def late_fees(con: duckdb.DuckDBPyConnection, day: date, params: dict) -> None:
    """The late fee of each late invoice without one: a line on today's invoice for the
    customer, or a recorded waiver with its reason."""
    _sql(con, LATE_FEES, params)
    fetch(
        con,
        """
        insert into ledger.late_fee_waivers
        select invoice_id, waiver, ? from _late_fees where waiver is not null
        """,
        [day],
    )
    fetch(
        con,
        """
        insert into _new_lines
        select null, 'late_fee', customer_id, currency, null, null, 'late_fee', null, null,
            null, null, fee_cents, 0, 4, invoice_id
        from _late_fees where waiver is null
        """,
    )


def run_day(
    con: duckdb.DuckDBPyConnection, day: date, settings: Settings, catch_up: bool
) -> dict[str, int]:
    """Issue every document due on `day`. Returns counts of what was written."""
    params = {"day": day, "catch_up": catch_up} | _late_fee_params(settings)
    _sql(con, OWED, params)
    _sql(con, NEW_LINES)
    _sql(con, ALLOCATE)
    counts = {"invoices": 0, "lines": 0, "credit_notes": 0, "voids": 0, "late": 0}
    if _exists(con, "select 1 from _alloc"):
        counts |= credit_today(con, day, settings, params)

    # late invoices, and their late fees (on today's invoice for the customer)
    if _exists(con, _TURNING_LATE, params):
        late = _sql(con, LATE, params)
        counts["late"] = late[0][0] if late else 0
    if _exists(con, _FEE_PENDING):
        late_fees(con, day, params)

    # invoices: one per customer and currency, numbered in (customer_id, currency) order
    first_invoice = _next_id(con, "ledger.invoices", "invoice_id")
    inv_seq = _year_sequence(
        con, "ledger.invoice_documents", "invoice_number", settings.invoice_prefix, day.year
    )
    fetch(
        con,
        """
        create or replace temp table _invoices as
        select
            ? + row_number() over (order by customer_id, currency) as invoice_id,
            case when ? then ? || '-' || ? || '-' || lpad(cast(? + row_number() over (
                order by customer_id, currency) as varchar), 6, '0') end as invoice_number,
            customer_id, currency
        from (select distinct customer_id, currency from _new_lines)
        """,
        [first_invoice, settings.auto_finalize, settings.invoice_prefix, str(day.year), inv_seq],
    )
    fetch(
        con,
        """
        insert into ledger.invoice_lines
        select i.invoice_id,
            row_number() over (partition by i.invoice_id
                order by l.order_id, l.charge_key = 'start_fee' desc, l.charge_key,
                    l.sort_order, l.ref_invoice_id),
            l.order_id, l.charge_key, l.customer_id, l.product_id, l.provider_id, l.kind,
            l.service_start, l.service_end, l.days, l.period_days, l.amount_cents,
            l.tax_rate, l.currency, l.ref_invoice_id,
            case l.kind
                when 'start_fee' then 'Start fee, order ' || l.order_id
                when 'discount' then 'Promotion, order ' || l.order_id
                when 'adjustment' then 'Adjustment, order ' || l.order_id || ', period from '
                    || l.charge_key
                when 'late_fee' then 'Late fee, invoice ' || (
                    select d.invoice_number from ledger.invoice_documents d
                    where d.invoice_id = l.ref_invoice_id)
                else 'Service, order ' || l.order_id
            end
        from _new_lines l join _invoices i using (customer_id, currency)
        """,
    )
    fetch(
        con,
        """
        insert into ledger.invoices
        select i.invoice_id, i.invoice_number, i.customer_id, i.currency, ?,
            case when i.invoice_number is not null then cast(? as date) end,
            case when i.invoice_number is not null then cast(? as date) end,
            (select coalesce(sum(t), 0) from (
                select cast(round(sum(amount_cents) * tax_rate, 0) as bigint) as t
                from ledger.invoice_lines l where l.invoice_id = i.invoice_id
                group by tax_rate))
        from _invoices i
        """,
        [day, day, day + timedelta(days=settings.payment_terms_days)],
    )
    counts["invoices"] = fetch(con, "select count(*) from _invoices")[0][0]
    if _exists(con, _ARISING_SCOPE, params):
        _sql(con, BALANCE_ARISING, params)
    if _exists(con, "select 1 from ledger.balance_events"):
        first_application = _next_id(con, "ledger.balance_applications", "application_id")
        _sql(con, BALANCE_APPLIED, params | {"first_id": first_application})
    record_statuses(con, day, TOUCHED_TODAY, params)
    counts["lines"] = fetch(con, "select count(*) from _new_lines")[0][0]
    counts["wholesale_specs"] = wholesale.publish(con, day) if day.day == 1 else 0
    fetch(con, "insert into ledger.run_days values (?, now())", [day])
    return counts


def _late_days(con, start: date, through: date, grace: int) -> set[date]:
    """Days on which an issued invoice may turn late."""
    return {
        d
        for (d,) in fetch(
            con,
            "select distinct due_date + cast(? as integer) + 1 from ledger.invoice_documents "
            "where due_date + cast(? as integer) + 1 between ? and ?",
            [grace, grace, start, through],
        )
    }


def run_days(
    con: duckdb.DuckDBPyConnection,
    through: date,
    settings: Settings,
    progress: Callable[[date, date], None] = lambda day, last: None,
    collect: Callable[[date], None] | None = None,
    collect_days: set[date] | None = None,
) -> dict[str, int]:
    """Carry out every run day after the last one done, through `through`, in order.

    `collect(day)`, when given, collects payments after each day's documents are issued
    (Stripe); it runs on every day, since payments in flight are reconciled daily, unless
    `collect_days` names the only days it is needed on (besides the first).
    """
    ensure_ledger(con)
    previous = last_run_day(con)
    start = previous + timedelta(days=1) if previous else first_event_day(con)
    totals = {
        "days": 0,
        "invoices": 0,
        "lines": 0,
        "credit_notes": 0,
        "voids": 0,
        "late": 0,
        "wholesale_specs": 0,
    }
    if start is None:
        return totals
    # Only days on which some charge changes, a payment arrives or an invoice may turn late
    # (and the first day, which catches up) have anything to issue; the other days are
    # recorded as run in one statement.
    busy = {
        d
        for (d,) in fetch(
            con,
            f"select distinct change_date from {TARGETS} where change_date between $1 and $2 "
            "union select distinct received_date from staging.stg_inputs__payments "
            "where received_date between $1 and $2",
            [start, through],
        )
    } | {start}
    busy |= _late_days(con, start, through, settings.grace_days)
    # wholesale specs are made on the 1st of each month
    busy |= {
        date(y, m, 1)
        for y in range(start.year, through.year + 1)
        for m in range(1, 13)
        if start <= date(y, m, 1) <= through
    }
    day = start
    if collect is not None and collect_days is not None:
        busy |= collect_days
    daily = collect is not None and collect_days is None
    while day <= through:
        progress(day, through)
        if day in busy or daily:
            counts = run_day(con, day, settings, catch_up=(day == start))
            for key, value in counts.items():
                totals[key] += value
            if counts["invoices"]:
                busy |= _late_days(con, day, through, settings.grace_days)
            if collect is not None and (daily or day in busy):
                collect(day)
        else:
            fetch(con, "insert into ledger.run_days values (?, now())", [day])
        totals["days"] += 1
        day += timedelta(days=1)
    return totals


COLLECTED_TODAY = """
    select invoice_id from ledger.collected_payments where received_date = $day
    union select invoice_id from ledger.payment_attempts where run_date = $day
"""


def after_collection(con: duckdb.DuckDBPyConnection, day: date) -> None:
    """After Stripe collected on `day`: credit balance from any overpayment, and statuses."""
    params = {"day": day, "catch_up": False}
    _sql(con, BALANCE_ARISING, params)
    record_statuses(con, day, COLLECTED_TODAY, params)
