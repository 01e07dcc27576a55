-- Stripe collection by payment method and month for the finance dashboard, up to run day
-- $as_of: attempts that succeeded and failed, retries started, and the amounts.
-- Reads: marts.collection_daily.
select
    currency,
    strftime(day, '%Y-%m') as month,
    payment_method,
    sum(attempts_started) as attempts_started,
    sum(retries_started) as retries_started,
    sum(succeeded) as succeeded,
    sum(failed) as failed,
    sum(succeeded_amount) as succeeded_amount,
    sum(failed_amount) as failed_amount
from marts.collection_daily
where day <= $as_of
group by all
order by currency, month, payment_method
