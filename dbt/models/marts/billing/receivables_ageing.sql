-- Accounts-receivable ageing as of the last run day: what each customer still owes per
-- currency, by days past the due date. `current` is not yet past due.
with

standing as (
    select * from {{ ref('int_invoices__standing') }}
    where status in ('open', 'late') and due_cents > 0
),

run_days as (
    select max(run_date) as as_of_date from {{ ref('stg_ledger__run_days') }}
),

aged as (
    select
        standing.customer_id,
        standing.currency,
        standing.due_cents,
        run_days.as_of_date,
        run_days.as_of_date - standing.due_date as days_past_due
    from standing
    cross join run_days
),

bucketed as (
    select
        aged.*,
        buckets.bucket
    from aged
    inner join {{ ageing_bucket_rows() }} on {{ in_ageing_bucket('aged.days_past_due') }}
),

final as (
    select
        customer_id,
        currency,
        any_value(as_of_date) as as_of_date,
        {{ ageing_bucket_columns('bucket', 'due_cents') }},
        {{ cents_to_money('sum(due_cents)') }} as total_outstanding
    from bucketed
    group by customer_id, currency
)

select * from final
