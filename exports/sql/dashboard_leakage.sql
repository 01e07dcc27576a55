-- Revenue-assurance findings in money for the finance dashboard, per currency, provider
-- and finding, for the days up to run day $as_of; findings on a connection that never had
-- an order have no currency, provider or value and are counted in days.
-- Reads: marts.revenue_leakage_daily, marts.finance_provider_daily (provider names).
with

names as (
    select distinct
        provider_id,
        provider_name
    from marts.finance_provider_daily
)

select
    l.currency,
    l.provider_id,
    n.provider_name,
    l.finding,
    sum(l.days) as days,
    sum(l.amount) as amount
from marts.revenue_leakage_daily as l
left join names as n on l.provider_id = n.provider_id
where l.day <= $as_of
group by all
order by l.currency nulls last, l.provider_id, l.finding
