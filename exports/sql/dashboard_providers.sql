-- Per provider and month for the finance dashboard, up to run day $as_of: retail invoiced
-- for its services before tax (operator-billed), wholesale specifications published for
-- the month by then (by spec month), and its MRR and subscriptions at the month's last
-- run day. Reads: marts.finance_provider_daily, marts.wholesale_specs.
with

daily as (
    select
        *,
        strftime(day, '%Y-%m') as month
    from marts.finance_provider_daily
    where day <= $as_of
),

months as (
    select
        currency,
        provider_id,
        any_value(provider_name) as provider_name,
        month,
        max(day) as last_day,
        sum(retail_invoiced) as retail_invoiced,
        sum(retail_credited) as retail_credited
    from daily
    group by all
),

specs as (
    select
        provider_id,
        spec_month as month,
        sum(line_count) as spec_lines,
        sum(total) as wholesale_billed
    from marts.wholesale_specs
    where generated_on <= $as_of
    group by all
)

select
    m.currency,
    m.provider_id,
    m.provider_name,
    m.month,
    m.retail_invoiced,
    m.retail_credited,
    coalesce(s.wholesale_billed, 0) as wholesale_billed,
    coalesce(s.spec_lines, 0) as spec_lines,
    e.mrr,
    e.active_subscriptions
from months as m
inner join daily as e on m.provider_id = e.provider_id and m.last_day = e.day
left join specs as s on m.provider_id = s.provider_id and m.month = s.month
order by m.currency, m.provider_id, m.month
