-- One row per customer, provider, currency and day on which the customer's MRR there
-- changed (int_orders__mrr_spans summed over the customer's orders), up to the last run
-- day, with the MRR before and after, the change in subscriptions in service, and how the
-- change is named (macro mrr_movement). The MRR on day D is the `mrr_after_cents` of the
-- customer's last change on or before D; summed over a month the changes are the month's
-- MRR movement, and they add up to the MRR at its end less the MRR at its start.
-- Rule: O1 (60.00) from Jan 10 and O2 (20.00) from Feb 3: (Jan 10, 0 -> 6000, new, +1),
-- (Feb 3, 6000 -> 8000, expansion, +1).
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

spans as (
    select * from {{ ref('int_orders__mrr_spans') }}
),

deltas as (
    select
        customer_id,
        provider_id,
        currency,
        valid_from as change_date,
        mrr_cents as delta_cents,
        1 as delta_subscriptions
    from spans
    union all
    select
        customer_id,
        provider_id,
        currency,
        valid_to as change_date,
        -mrr_cents as delta_cents,
        -1 as delta_subscriptions
    from spans
),

by_day as (
    select
        customer_id,
        provider_id,
        currency,
        change_date,
        sum(delta_cents) as delta_cents,
        sum(delta_subscriptions) as delta_subscriptions
    from deltas
    where change_date <= date '{{ var("through") }}'
    group by customer_id, provider_id, currency, change_date
),

running as (
    select
        *,
        sum(delta_cents) over (
            partition by customer_id, provider_id, currency order by change_date
            rows between unbounded preceding and current row
        ) as mrr_after_cents
    from by_day
),

with_before as (
    select
        *,
        mrr_after_cents - delta_cents as mrr_before_cents,
        coalesce(max(mrr_after_cents) over (
            partition by customer_id, provider_id, currency order by change_date
            rows between unbounded preceding and 1 preceding
        ), 0) > 0 as had_mrr_before
    from running
),

final as (
    select
        customer_id,
        provider_id,
        currency,
        change_date,
        mrr_before_cents,
        mrr_after_cents,
        delta_cents,
        delta_subscriptions,
        case
            when delta_cents <> 0
                then {{ mrr_movement('mrr_before_cents', 'mrr_after_cents', 'had_mrr_before') }}
        end as movement
    from with_before
    where delta_cents <> 0 or delta_subscriptions <> 0
)

select * from final
