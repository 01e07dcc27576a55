-- One row per invoice and span of days [valid_from, valid_to) over which its status and
-- what it owes stayed the same, as known on each of those days (valid_to null: still so).
-- Status: the last of the append-only status history dated on or before the day; money:
-- every change known by the day (int_invoices__money_events). Read as of day D with
-- valid_from <= D and (valid_to is null or D < valid_to); as of the last run day it is
-- int_invoices__standing (dbt/tests/finance/assert_history_ends_in_standing.sql).
-- Rule: INV-1 of 141.58 issued Jan 10 (open), paid 141.58 on Jan 20 (paid):
-- (Jan 10, Jan 20, open, 14158 due), (Jan 20, null, paid, 0 due).
with

standing as (
    select * from {{ ref('int_invoices__standing') }}
),

history as (
    select * from {{ ref('stg_ledger__invoice_status_history') }}
),

money as (
    select * from {{ ref('int_invoices__money_events') }}
),

-- the status each invoice ended a day with
statuses as (
    select
        invoice_id,
        status_date,
        status
    from history
    qualify row_number() over (
        partition by invoice_id, status_date order by history_id desc
    ) = 1
),

settled as (
    select
        invoice_id,
        event_date,
        sum(settled_cents) over (
            partition by invoice_id order by event_date
            rows between unbounded preceding and current row
        ) as settled_cents
    from money
),

first_status as (
    select
        invoice_id,
        min(status_date) as first_date
    from statuses
    group by invoice_id
),

change_days as (
    select
        invoice_id,
        status_date as valid_from
    from statuses
    union
    select
        money.invoice_id,
        greatest(money.event_date, first_status.first_date) as valid_from
    from money
    inner join first_status on money.invoice_id = first_status.invoice_id
),

spans as (
    select
        invoice_id,
        valid_from,
        lead(valid_from) over (partition by invoice_id order by valid_from) as valid_to
    from change_days
),

with_status as (
    select
        spans.invoice_id,
        spans.valid_from,
        spans.valid_to,
        statuses.status
    from spans
    asof inner join statuses
        on
            spans.invoice_id = statuses.invoice_id
            and spans.valid_from >= statuses.status_date
),

with_money as (
    select
        with_status.*,
        coalesce(settled.settled_cents, 0) as settled_cents
    from with_status
    asof left join settled
        on
            with_status.invoice_id = settled.invoice_id
            and with_status.valid_from >= settled.event_date
),

final as (
    select
        with_money.invoice_id,
        standing.invoice_number,
        standing.customer_id,
        standing.currency,
        standing.due_date,
        with_money.valid_from,
        with_money.valid_to,
        with_money.status,
        standing.total_cents - with_money.settled_cents as owed_cents,
        {{ amount_due('with_money.status', 'standing.total_cents - with_money.settled_cents') }}
            as due_cents
    from with_money
    inner join standing on with_money.invoice_id = standing.invoice_id
)

select * from final
