-- One row per recorded fact about a customer's billing preferences and payment methods,
-- oldest first: the values of the operator's files (source `customers`, `payment_methods`)
-- and every change (source `portal`, or `operator` for a preference_changes or
-- payment_method_changes file), with the day it takes effect. Where the files and the
-- portal disagree, the latest recorded change wins from its effective day on
-- (int_customers__preference_ranges, int_payment_methods__states, read from the same
-- events as this list);
-- `in_force` says whether the row's value is the one in force on the last run day.
-- Rule: C1 manual in customers.csv (collection_method, manual, in_force false) then auto in
-- the portal on Mar 5 (collection_method, old manual, new auto, in_force true).
{{ config(tags=['as_of_run_day']) }}

with

preference_events as (
    select * from {{ ref('int_customers__preference_events') }}
),

method_events as (
    select * from {{ ref('int_payment_methods__events') }}
),

preferences_now as (
    select * from {{ ref('int_customers__preference_ranges') }}
    where
        valid_from_date <= date '{{ var("through") }}'
        and date '{{ var("through") }}' < valid_to_date
),

methods_now as (
    select * from {{ ref('int_customers__payment_method') }}
),

states_now as (
    select * from {{ ref('int_payment_methods__states') }}
    where
        valid_from_date <= date '{{ var("through") }}'
        and date '{{ var("through") }}' < valid_to_date
),

facts as (
    select
        customer_id,
        recorded_at,
        case when change_source <> 'customers' then effective_date end as effective_date,
        change_source as source,
        change_id,
        preference_field as changed_field,
        old_value,
        preference_value as new_value,
        cast(null as varchar) as payment_method_id,
        client_ip
    from preference_events
    union all
    select
        customer_id,
        recorded_at,
        case when change_source <> 'payment_methods' then effective_date end
            as effective_date,
        change_source as source,
        change_id,
        case change_action
            when 'listed' then 'payment_method'
            when 'added' then 'payment_method_added'
            when 'set_default' then 'default_payment_method'
            else 'payment_method_removed'
        end as changed_field,
        null as old_value,
        case change_action
            when 'listed'
                then
                    payment_method_type || ' ' || coalesce(payment_method_last4, '')
                    || ' ' || payment_method_status
                    || case when is_default then ' default' else '' end
            when 'added'
                then payment_method_type || ' ' || coalesce(payment_method_last4, '')
            else payment_method_id
        end as new_value,
        payment_method_id,
        client_ip
    from method_events
),

final as (
    select
        facts.customer_id,
        facts.recorded_at,
        facts.effective_date,
        facts.source,
        facts.change_id,
        facts.changed_field,
        facts.old_value,
        trim(facts.new_value) as new_value,
        facts.payment_method_id,
        facts.client_ip,
        case
            when facts.changed_field in ('collection_method', 'invoice_email')
                then preferences_now.customer_id is not null
            when facts.changed_field = 'default_payment_method'
                then methods_now.payment_method_id is not null
            when facts.changed_field = 'payment_method_removed'
                then coalesce(states_now.payment_method_status = 'removed', false)
            else coalesce(states_now.payment_method_status = 'active', false)
        end as in_force
    from facts
    left join preferences_now
        on
            facts.customer_id = preferences_now.customer_id
            and facts.changed_field = preferences_now.preference_field
            and facts.source = preferences_now.change_source
            and facts.change_id is not distinct from preferences_now.change_id
    left join methods_now
        on
            facts.changed_field = 'default_payment_method'
            and facts.customer_id = methods_now.customer_id
            and facts.payment_method_id = methods_now.payment_method_id
    left join states_now
        on facts.payment_method_id = states_now.payment_method_id
)

select * from final
order by customer_id, recorded_at, change_id
