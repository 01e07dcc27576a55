-- One row per order, charge and day on which the amount owed for that charge changes:
-- target_cents is what must have been issued in total for the charge (recurring minus
-- discount, or the start fee) as of change_date, from what was known that day.
-- A charge falls due on its first active day that has been reached; it is billed in advance
-- for all of its active days. Without refunds of unused days (settings
-- refund_unused_days), an amount once owed for a period never drops while the period
-- still exists and keeps at least one active day: a period that turns out to have no
-- active day at all owes nothing, whatever the setting (the setting governs the unused
-- days of a service that was delivered).
-- due_charge_cents is the gross amount (before discount) due as of change_date, so a
-- charge whose discount cancels it (a 100 % promotion) still gets a row and is issued as
-- two lines that net to zero.
-- Reads var `through`: rebuilt on every new run day (fiberbill/build_stamps.py).
{{ config(tags=['as_of_run_day']) }}

with

charges as (
    select * from {{ ref('int_charges__by_version') }}
),

versions as (
    select * from {{ ref('int_service_versions') }}
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

charge_keys as (
    select
        order_id,
        charge_key,
        any_value(charge_kind) as charge_kind,
        max(period_end_date) as period_end_date
    from charges
    group by order_id, charge_key
),

key_versions as (
    select
        charge_keys.order_id,
        charge_keys.charge_key,
        charge_keys.charge_kind,
        charge_keys.period_end_date as key_period_end_date,
        versions.version_date,
        versions.next_version_date,
        versions.first_active_date,
        versions.service_end_date as version_service_end_date,
        orders.billing_cycle
    from charge_keys
    inner join versions on charge_keys.order_id = versions.order_id
    inner join orders on charge_keys.order_id = orders.order_id
),

valued as (
    select
        key_versions.*,
        charges.period_start_date,
        charges.period_end_date,
        charges.period_days,
        charges.due_date,
        charges.service_start_date,
        charges.service_end_date,
        charges.active_days,
        charges.charge_cents,
        charges.discount_cents,
        charges.promotion_service_start_date,
        charges.promotion_service_end_date,
        charges.promotion_days,
        charges.tax_rate,
        charges.product_name,
        coalesce(charges.charge_cents - charges.discount_cents, 0) as value_cents,
        coalesce(charges.charge_cents, 0) as gross_cents,
        coalesce(charges.active_days, 0) > 0 as has_active_day,
        -- the charge still exists under this version's anchor (a period the service has
        -- ended before still exists; one whose anchor moved does not)
        case
            when key_versions.first_active_date is null then false
            when key_versions.charge_kind = 'start_fee' then true
            when key_versions.billing_cycle = 'monthly'
                then
                    cast(key_versions.charge_key as date)
                    >= date_trunc('month', key_versions.first_active_date)
            else
                cast(key_versions.charge_key as date) >= key_versions.first_active_date
                and cast(key_versions.charge_key as date) = {{ period_start(
                    "'anniversary'", 'key_versions.first_active_date',
                    "datediff('month', key_versions.first_active_date,"
                    ~ " cast(key_versions.charge_key as date))") }}
        end as is_existing,
        key_versions.charge_kind = 'recurring' and case key_versions.billing_cycle
            when 'monthly' then not {{ var('refund_unused_days')['monthly'] }}
            else not {{ var('refund_unused_days')['anniversary'] }}
        end as is_without_refund,
        key_versions.first_active_date is null
        or (
            key_versions.version_service_end_date is not null
            and (
                key_versions.charge_kind = 'start_fee'
                or key_versions.version_service_end_date <= key_versions.key_period_end_date
            )
        ) as is_ended
    from key_versions
    left join charges
        on
            key_versions.order_id = charges.order_id
            and key_versions.charge_key = charges.charge_key
            and key_versions.version_date = charges.version_date
),

changes as (
    -- the value as the version becomes known
    select
        *,
        version_date as change_date,
        case when due_date <= version_date then value_cents else 0 end as change_value_cents,
        case when due_date <= version_date then gross_cents else 0 end as due_charge_cents
    from valued
    union all
    -- the value when the charge falls due within the version
    select
        *,
        due_date as change_date,
        value_cents as change_value_cents,
        gross_cents as due_charge_cents
    from valued
    where
        due_date > version_date
        and due_date < coalesce(next_version_date, date '9999-12-31')
),

-- a change that leaves a recurring charge without any active day starts a new run of
-- the no-refund maximum: nothing delivered, nothing kept
runs as (
    select
        *,
        count(*) filter (where not has_active_day) over (
            partition by order_id, charge_key order by change_date
            rows between unbounded preceding and current row
        ) as no_service_run
    from changes
),

targeted as (
    select
        *,
        case
            when is_without_refund and is_existing and has_active_day
                then max(change_value_cents) over (
                    partition by order_id, charge_key, no_service_run order by change_date
                    rows between unbounded preceding and current row
                )
            else change_value_cents
        end as target_cents
    from runs
),

final as (
    select
        targeted.order_id,
        targeted.charge_key,
        targeted.charge_kind,
        targeted.change_date,
        targeted.target_cents,
        targeted.due_charge_cents,
        targeted.charge_cents,
        targeted.discount_cents,
        targeted.period_start_date,
        targeted.period_end_date,
        targeted.period_days,
        targeted.service_start_date,
        targeted.service_end_date,
        targeted.active_days,
        targeted.promotion_service_start_date,
        targeted.promotion_service_end_date,
        targeted.promotion_days,
        targeted.tax_rate,
        targeted.product_name,
        targeted.is_ended,
        orders.customer_id,
        orders.currency,
        orders.product_id,
        orders.provider_id,
        orders.promotion_code,
        orders.promotion_kind,
        orders.promotion_value
    from targeted
    inner join orders on targeted.order_id = orders.order_id
    where targeted.change_date <= date '{{ var("through") }}'
    qualify
        targeted.target_cents
        <> coalesce(lag(targeted.target_cents) over (
            partition by targeted.order_id, targeted.charge_key
            order by targeted.change_date
        ), 0)
        or targeted.due_charge_cents
        <> coalesce(lag(targeted.due_charge_cents) over (
            partition by targeted.order_id, targeted.charge_key
            order by targeted.change_date
        ), 0)
)

select * from final
