-- The ten customers owing most on late invoices at the end of run day $as_of, per
-- currency, as known that day (marts.invoice_standing_history), with their oldest due
-- date. Reads: marts.invoice_standing_history, marts.customers (the customer's name).
with

late as (
    select
        customer_id,
        currency,
        count(*) as late_invoices,
        sum(amount_due) as late_amount,
        min(due_date) as oldest_due_date
    from marts.invoice_standing_history
    where
        status = 'late'
        and valid_from <= $as_of
        and (valid_to is null or $as_of < valid_to)
    group by customer_id, currency
),

names as (
    select distinct
        customer_id,
        name
    from marts.customers
),

ranked as (
    select
        late.*,
        names.name as customer_name,
        row_number() over (
            partition by late.currency order by late.late_amount desc, late.customer_id asc
        ) as late_rank
    from late
    left join names on late.customer_id = names.customer_id
)

select
    currency,
    late_rank as place,
    customer_id,
    customer_name,
    late_invoices,
    late_amount,
    oldest_due_date
from ranked
where late_rank <= 10
order by currency, place
