-- Refunds whose latest answer from Stripe is not final yet (pending, requires_action).
-- Reads: journal.refund_events. Writes: nothing.
select
    refund_key,
    refund_id,
    status
from journal.refund_events
where refund_id is not null
qualify
    row_number() over (partition by refund_key order by recorded_at desc) = 1
    and status in ('pending', 'requires_action')
