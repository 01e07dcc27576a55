-- One row per payment method and recorded fact: its listing in the payment_methods input
-- (action `listed`, in force from the start, effective_date 1900-01-01) and every change
-- (payment_method_changes: `added`, `set_default`, `removed`, from the portal or the
-- operator's files) with the first day it counts (macro change_effective_date).
-- Read by int_payment_methods__states and marts.customer_history.
-- Rule: PM2 added in the portal on Mar 5 and made default on Mar 6: (PM2, added,
-- 2026-03-05, active), (PM2, set_default, 2026-03-06, is_default).
with

listed as (
    select * from {{ ref('stg_inputs__payment_methods') }}
),

changes as (
    select * from {{ ref('stg_inputs__payment_method_changes') }}
),

batches as (
    select * from {{ ref('stg_inputs__load_batches') }}
),

events as (
    select
        listed.payment_method_id,
        listed.customer_id,
        'listed' as change_action,
        listed.payment_method_type,
        listed.stripe_payment_method_id,
        listed.payment_method_last4,
        listed.payment_method_status,
        coalesce(listed.is_default, false) as is_default,
        date '1900-01-01' as effective_date,
        batches.loaded_at as recorded_at,
        'payment_methods' as change_source,
        cast(null as varchar) as change_id,
        cast(null as varchar) as client_ip
    from listed
    left join batches on listed.batch_id = batches.batch_id
    union all
    select
        changes.payment_method_id,
        changes.customer_id,
        changes.change_action,
        changes.payment_method_type,
        changes.stripe_payment_method_id,
        changes.payment_method_last4,
        case changes.change_action
            when 'added' then 'active' when 'removed' then 'removed'
        end as payment_method_status,
        changes.change_action = 'set_default' as is_default,
        {{ change_effective_date('changes.recorded_date', 'batches.first_run_date') }}
            as effective_date,
        changes.recorded_at,
        changes.change_source,
        changes.change_id,
        changes.client_ip
    from changes
    left join batches on changes.batch_id = batches.batch_id
)

select * from events
