-- The MRR waterfall closes, per currency and provider: each run day's MRR is the day
-- before's plus that day's new, expansion, contraction, churn and reactivation, and
-- the subscriptions in service never go below zero. Returns the days that do not.
with

daily as (
    select
        *,
        lag(mrr) over (partition by provider_id order by day) as mrr_before
    from {{ ref('finance_provider_daily') }}
)

select
    day,
    provider_id,
    mrr_before,
    mrr,
    mrr_new + mrr_expansion + mrr_contraction + mrr_churn + mrr_reactivation as movement
from daily
where
    (
        mrr_before is not null
        and mrr <> mrr_before + mrr_new + mrr_expansion + mrr_contraction + mrr_churn
        + mrr_reactivation
    )
    or active_subscriptions < 0
