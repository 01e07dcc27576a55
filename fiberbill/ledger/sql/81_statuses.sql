-- Step 81, statuses: each invoice in `_scope` gets a status history row when its status on
-- the run day differs from its last one, with the cause of the change.
-- Status, first match wins: void; uncollectible (written off, cause $cause); draft (no
-- number); paid (owes nothing: cause zero total, credited or payment); late; open.
-- Reads: _scope, invoice_money, ledger.invoice_status_history.
-- Writes: ledger.invoice_status_history.
-- Rule: an invoice of 141.58 issued Jan 10 is open (issued); paid 141.58 on Jan 20 it is
-- paid (payment); a 100 % promotion's invoice of 0.00 is paid at once (zero total).
insert into ledger.invoice_status_history
with current_ as (
    select
        invoice_id,
        total_cents,
        case
            when is_void then 'void'
            when is_written_off then 'uncollectible'
            when invoice_number is null then 'draft'
            when owed_cents <= 0 then 'paid'
            when is_late then 'late'
            else 'open'
        end as status,
        credited_cents >= total_cents as by_credit
    from ledger.invoice_money($day, '_scope')
),

last_ as (
    select
        invoice_id,
        status
    from ledger.invoice_status_history
    where invoice_id in (select s.invoice_id from _scope as s)
    qualify row_number() over (partition by invoice_id order by history_id desc) = 1
)

select
    (select coalesce(max(h.history_id), 0) from ledger.invoice_status_history as h)
    + row_number() over (order by c.invoice_id) as history_id,
    c.invoice_id,
    $day as status_date,
    c.status,
    case c.status
        when 'draft' then 'created'
        when 'open'
            then case coalesce(l.status, '')
                when '' then 'issued' when 'draft' then 'finalized' else 'reopened'
            end
        when 'paid'
            then case
                when c.total_cents = 0 then 'zero total'
                when c.by_credit then 'credited'
                else 'payment'
            end
        when 'late' then 'overdue'
        when 'void' then 'voided'
        when 'uncollectible' then $cause
    end as cause,
    now() as recorded_at
from current_ as c left join last_ as l using (invoice_id)
where l.status is distinct from c.status
