-- The as-of history read on the last run day is where every invoice stands
-- (int_invoices__standing, what marts.invoices shows): same status, same amount due.
-- The one known difference is left out: a manual payment loaded by a call that ran no day
-- counts in int_invoices__standing at once but is known only from the next run day.
-- Returns the invoices that differ.
with

last_day as (
    select max(run_date) as day from {{ ref('stg_ledger__run_days') }}
),

history as (
    select history.*
    from {{ ref('int_invoices__standing_history') }} as history
    cross join last_day
    where
        history.valid_from <= last_day.day
        and (history.valid_to is null or last_day.day < history.valid_to)
),

standing as (
    select * from {{ ref('int_invoices__standing') }}
),

pending as (
    select distinct received.invoice_id
    from {{ ref('stg_ledger__received_events') }} as received
    cross join last_day
    where received.known_date > last_day.day
)

select
    standing.invoice_id,
    standing.status,
    history.status as history_status,
    standing.due_cents,
    history.due_cents as history_due_cents
from standing
left join history on standing.invoice_id = history.invoice_id
where
    standing.invoice_id not in (select pending.invoice_id from pending)
    and (
        history.invoice_id is null
        or standing.status is distinct from history.status
        or standing.due_cents <> history.due_cents
    )
