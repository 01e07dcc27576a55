-- The attempts due today: each chargeable invoice (10_chargeable.sql) with no attempt in
-- flight or succeeded, numbered after the attempts already made for it, with the day its
-- first attempt failed (retries wait retry_days after it; the collector decides).
-- An invoice is named by what cannot move: its customer, currency and creation day.
-- Reads: _chargeable, _latest_attempts. Writes: nothing.
-- Rule: an invoice whose first attempt failed on Jan 10 is due again as attempt 2.
with attempts as (
    select
        customer_id,
        currency,
        invoice_created_date,
        count(*) as made,
        bool_or(status in ('planned', 'pending', 'processing', 'succeeded')) as busy,
        min(status_date) filter (where status = 'failed') as first_failure
    from _latest_attempts
    group by all
)

select
    c.invoice_key,
    c.invoice_number,
    c.customer_id,
    c.customer_name,
    c.currency,
    c.created_date,
    c.owed_cents,
    c.method,
    c.stripe_payment_method_id,
    coalesce(a.made, 0) + 1 as attempt_no,
    a.first_failure
from _chargeable as c
left join attempts as a
    on
        c.customer_id = a.customer_id and c.currency = a.currency
        and c.created_date = a.invoice_created_date
where not coalesce(a.busy, false)
order by c.invoice_key
