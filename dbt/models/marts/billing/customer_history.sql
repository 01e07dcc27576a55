-- One row per recorded fact about a customer's billing preferences and payment methods,
-- oldest first: the values of the operator's files (source `customers`, `payment_methods`)
-- and every change (source `portal`, or `operator` for a preference_changes or
-- payment_method_changes file), with the day it takes effect. Where the files and the
-- portal disagree, the latest recorded change wins from its effective day on
-- (int_customers__preference_ranges, int_payment_methods__states);
-- `in_force` says whether the row's value is the one in force on the last run day.
-- Rule: C1 manual in customers.csv (collection_method, manual, in_force false) then auto in
-- the portal on Mar 5 (collection_method, old manual, new auto, in_force true).
{{ config(tags=['as_of_run_day']) }}

with

customers as (
    select * from {{ ref('stg_inputs__customers') }}
),

batches as (
    select * from {{ ref('stg_inputs__load_batches') }}
),

preference_changes as (
    select * from {{ ref('stg_inputs__preference_changes') }}
),

method_listings as (
    select * from {{ ref('stg_inputs__payment_methods') }}
),

method_changes as (
    select * from {{ ref('stg_inputs__payment_method_changes') }}
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

fields as (
    select unnest(['collection_method', 'invoice_email']) as changed_field
),

facts as (
    select
        customers.customer_id,
        batches.loaded_at as recorded_at,
        cast(null as date) as effective_date,
        'customers' as source,
        cast(null as varchar) as change_id,
        fields.changed_field,
        cast(null as varchar) as old_value,
        case fields.changed_field
            when 'collection_method' then customers.collection_method
            else customers.customer_email
        end as new_value,
        cast(null as varchar) as payment_method_id,
        cast(null as varchar) as client_ip
    from customers
    cross join fields
    left join batches on customers.batch_id = batches.batch_id
    union all
    select
        changes.customer_id,
        changes.recorded_at,
        {{ change_effective_date('changes.recorded_date', 'batches.first_run_date') }}
            as effective_date,
        changes.change_source as source,
        changes.change_id,
        changes.preference_field as changed_field,
        changes.old_value,
        changes.new_value,
        null as payment_method_id,
        changes.client_ip
    from preference_changes as changes
    left join batches on changes.batch_id = batches.batch_id
    union all
    select
        listed.customer_id,
        batches.loaded_at as recorded_at,
        null as effective_date,
        'payment_methods' as source,
        null as change_id,
        'payment_method' as changed_field,
        null as old_value,
        listed.payment_method_type || ' ' || coalesce(listed.payment_method_last4, '')
        || ' ' || listed.payment_method_status
        || case when listed.is_default then ' default' else '' end as new_value,
        listed.payment_method_id,
        null as client_ip
    from method_listings as listed
    left join batches on listed.batch_id = batches.batch_id
    union all
    select
        changes.customer_id,
        changes.recorded_at,
        {{ change_effective_date('changes.recorded_date', 'batches.first_run_date') }}
            as effective_date,
        changes.change_source as source,
        changes.change_id,
        case changes.change_action
            when 'added' then 'payment_method_added'
            when 'set_default' then 'default_payment_method'
            else 'payment_method_removed'
        end as changed_field,
        null as old_value,
        case
            when changes.change_action = 'added'
                then
                    changes.payment_method_type || ' '
                    || coalesce(changes.payment_method_last4, '')
            else changes.payment_method_id
        end as new_value,
        changes.payment_method_id,
        changes.client_ip
    from method_changes as changes
    left join batches on changes.batch_id = batches.batch_id
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
