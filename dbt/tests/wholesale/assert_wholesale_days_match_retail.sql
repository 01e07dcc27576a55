-- Reconciliation: per provider and month, the active days the wholesale specs charge for
-- equal the active days retail billing charges for the same orders, for operator-billed
-- monthly products (whose retail periods are the calendar months), as known now, for
-- every complete month before the last run day's.
with

versions as (
    select * from {{ ref('int_service_versions') }}
    where next_version_date is null
),

orders as (
    select * from {{ ref('int_orders__billing') }}
),

scope as (
    select
        orders.order_id,
        orders.provider_id,
        versions.version_date
    from orders
    inner join versions on orders.order_id = versions.order_id
    where orders.billing_cycle = 'monthly' and orders.retail_billed_by = 'operator'
),

wholesale as (
    select
        scope.provider_id,
        w.month_start_date,
        sum(w.active_days) as wholesale_days
    from {{ ref('int_wholesale__by_version') }} as w
    inner join scope
        on w.order_id = scope.order_id and w.version_date = scope.version_date
    where w.kind = 'recurring'
    group by scope.provider_id, w.month_start_date
),

retail as (
    select
        scope.provider_id,
        r.period_start_date as month_start_date,
        sum(r.active_days) as retail_days
    from {{ ref('int_charges__by_version') }} as r
    inner join scope
        on r.order_id = scope.order_id and r.version_date = scope.version_date
    where r.charge_kind = 'recurring'
    group by scope.provider_id, r.period_start_date
),

compared as (
    select
        coalesce(wholesale.provider_id, retail.provider_id) as provider_id,
        coalesce(wholesale.month_start_date, retail.month_start_date) as month_start_date,
        coalesce(wholesale.wholesale_days, 0) as wholesale_days,
        coalesce(retail.retail_days, 0) as retail_days
    from wholesale
    full join retail
        on
            wholesale.provider_id = retail.provider_id
            and wholesale.month_start_date = retail.month_start_date
)

select * from compared
where
    wholesale_days <> retail_days
    and month_start_date < date_trunc('month', cast('{{ var("through") }}' as date))
