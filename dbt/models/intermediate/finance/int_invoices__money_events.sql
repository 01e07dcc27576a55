-- One row per invoice and day on which what it still owes changed, as the ledger knew it
-- on that day: money received (signed: a refund through Stripe adds back) and credit notes.
-- event_date is the first run day the ledger knew of the change (a manual payment loaded
-- late counts from the first run day of the call that loaded it), so reading these rows
-- up to day D gives what was known on D, whenever it is read.
-- Rule: INV-1 of 141.58 paid 100.00 on Jan 20 and credited 20.00 on Jan 25:
-- (INV-1, Jan 20, 10000), (INV-1, Jan 25, 2000).
with

received as (
    select * from {{ ref('stg_ledger__received_events') }}
),

credit_notes as (
    select * from {{ ref('stg_ledger__credit_notes') }}
),

changes as (
    select
        invoice_id,
        known_date as event_date,
        amount_cents
    from received
    union all
    select
        invoice_id,
        issue_date as event_date,
        amount_cents
    from credit_notes
),

final as (
    select
        invoice_id,
        event_date,
        sum(amount_cents) as settled_cents
    from changes
    group by invoice_id, event_date
)

select * from final
