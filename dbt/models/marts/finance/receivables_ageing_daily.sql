-- Accounts-receivable ageing as it stood at the end of every run day, per currency, as
-- known that day (int_invoices__standing_history): what open and late invoices still owed,
-- by days past their due date on that day. One row per run day and currency with anything
-- owed. Its last day is marts.receivables_ageing summed over customers.
-- Rule: INV-1 owing 141.58, due Jan 24, unpaid: on Feb 10 it is 141.58 in past_due_1_30.
--
-- Computed from changes, not day by day: an owing span [valid_from, valid_to) is cut where
-- its invoice enters the next bucket, each piece adds its amount on its first day and takes
-- it away after its last; a day's figures are the running sums at that day. The cost grows
-- with the spans, not with spans x days they last.
with

history as (
    select * from {{ ref('int_invoices__standing_history') }}
    where status in ('open', 'late') and due_cents > 0
),

run_days as (
    select run_date from {{ ref('stg_ledger__run_days') }}
),

owing as (
    select
        customer_id,
        currency,
        status,
        due_date,
        due_cents,
        valid_from,
        coalesce(valid_to, date '9999-12-31') as valid_to
    from history
),

-- each span's piece in each bucket: the days of the span the invoice was in the bucket
in_buckets as (
    select
        owing.currency,
        buckets.bucket,
        owing.due_cents,
        greatest(
            owing.valid_from, coalesce(owing.due_date + buckets.first_day, owing.valid_from)
        ) as start_date,
        least(
            owing.valid_to, coalesce(owing.due_date + buckets.last_day + 1, owing.valid_to)
        ) as end_date
    from owing
    cross join {{ ageing_bucket_rows() }}
),

-- a customer owes from the first day of a run of overlapping or adjoining spans to its end
customer_runs as (
    select
        customer_id,
        currency,
        valid_from,
        valid_to,
        max(valid_to) over (
            partition by customer_id, currency
            order by valid_from, valid_to
            rows between unbounded preceding and 1 preceding
        ) as reached_before
    from owing
),

customer_islands as (
    select
        customer_id,
        currency,
        valid_from,
        valid_to,
        sum(case when reached_before is null or valid_from > reached_before then 1 else 0 end)
            over (
                partition by customer_id, currency
                order by valid_from, valid_to
                rows unbounded preceding
            )
            as island
    from customer_runs
),

customer_owing as (
    select
        currency,
        min(valid_from) as start_date,
        max(valid_to) as end_date
    from customer_islands
    group by customer_id, currency, island
),

-- what each span adds to the day's figures while it lasts: the amount owed (in total and
-- if late) and the invoice (and whether late); its pieces' amounts in their buckets; and
-- a customer over each of their runs of owing
span_measures as (
    select
        owing.valid_from as start_date,
        owing.valid_to as end_date,
        owing.currency,
        measures.measure,
        case
            when measures.measure = 'total_outstanding' then owing.due_cents
            when measures.measure = 'invoices' then 1
            when owing.status <> 'late' then 0
            when measures.measure = 'late_invoices' then 1
            else owing.due_cents
        end as amount
    from owing
    cross join (
        values ('total_outstanding'), ('invoices'), ('late_invoices'), ('late_amount')
    ) as measures (measure)
),

pieces as (
    select * from span_measures
    union all
    select
        start_date,
        end_date,
        currency,
        bucket as measure,
        due_cents as amount
    from in_buckets
    where start_date < end_date
    union all
    select
        start_date,
        end_date,
        currency,
        'customers' as measure,
        1 as amount
    from customer_owing
),

changes as (
    select
        start_date as change_date,
        currency,
        measure,
        amount as delta
    from pieces
    union all
    select
        end_date as change_date,
        currency,
        measure,
        -amount as delta
    from pieces
    where end_date < date '9999-12-31'
),

levels as (
    select
        change_date,
        currency,
        measure,
        sum(sum(delta)) over (
            partition by currency, measure
            order by change_date
            rows unbounded preceding
        ) as running_total
    from changes
    group by change_date, currency, measure
),

series as (
    select distinct
        currency,
        measure
    from levels
),

on_run_days as (
    select
        run_days.run_date as as_of_date,
        series.currency,
        series.measure,
        levels.running_total
    from run_days
    cross join series
    asof inner join levels
        on
            series.currency = levels.currency
            and series.measure = levels.measure
            and run_days.run_date >= levels.change_date
),

final as (
    select
        as_of_date,
        currency,
        cast(sum(running_total) filter (where measure = 'invoices') as bigint) as invoices,
        cast(sum(running_total) filter (where measure = 'customers') as bigint) as customers,
        cast(coalesce(sum(running_total) filter (where measure = 'late_invoices'), 0) as bigint)
            as late_invoices,
        {{ money_where('running_total', "measure = 'late_amount'") }} as late_amount,
        {{ ageing_bucket_columns('measure', 'running_total') }},
        {{ money_where('running_total', "measure = 'total_outstanding'") }} as total_outstanding
    from on_run_days
    group by as_of_date, currency
    having sum(running_total) filter (where measure = 'invoices') > 0
)

select * from final
