-- Each invoice's status and amounts over time, as known on each day: one row per invoice
-- and span [valid_from, valid_to) (valid_to null: still so). What stood on day D:
--   where valid_from <= D and (valid_to is null or D < valid_to)
-- Drafts have no invoice_number; their draft_id names them.
with

history as (
    select * from {{ ref('int_invoices__standing_history') }}
),

final as (
    select
        invoice_number,
        ledger.draft_id(invoice_id) as draft_id,
        customer_id,
        currency,
        due_date,
        valid_from,
        valid_to,
        status,
        {{ cents_to_money('owed_cents') }} as amount_owed,
        {{ cents_to_money('due_cents') }} as amount_due
    from history
)

select * from final
