-- One row per invoice and day its status changed, as known that day, with what it owed
-- just before and after: the source of the finance marts' "turned late" and "written off"
-- (the amount still owed the day it became uncollectible).
-- Rule: INV-1 owing 141.58 late since Feb 8, written off Mar 1: (Feb 8, open -> late,
-- 14158), (Mar 1, late -> uncollectible, owed 14158).
with

history as (
    select * from {{ ref('int_invoices__standing_history') }}
),

changes as (
    select
        invoice_id,
        currency,
        customer_id,
        valid_from as change_date,
        lag(status) over (partition by invoice_id order by valid_from) as status_before,
        status,
        owed_cents,
        due_cents
    from history
),

final as (
    select * from changes
    where status is distinct from status_before
)

select * from final
