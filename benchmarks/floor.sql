-- The floor of issue 16: what the machine needs to bill one 1st of the month by hand-written
-- DuckDB SQL, against which fiberbill's run of the same day is measured
-- (benchmarks/bench_billing.py b). From the loaded inputs (raw.*) of a warehouse, for the
-- day $day: every retail order on a monthly product active on it (its latest activation event up to the day is
-- `activated`, no termination in force), its monthly charge at the price valid that day,
-- prorated to the days of the month up to a termination known in the month, with the
-- product's tax. Lines numbered per invoice, one numbered invoice per customer and
-- currency, written into two tables. No knowledge versions, promotions, corrections,
-- credit notes or documents: a floor, not a billing engine.

create or replace table floor_lines as
with

states as (
    select
        order_id,
        arg_max(event, occurred_at) as state
    from raw.activation_events
    where cast(occurred_at as date) <= $day
    group by order_id
),

ends as (
    select
        order_id,
        min(cast(effective_at as date)) as end_date
    from raw.order_events
    group by order_id
),

prices as (
    select
        product_id,
        arg_max(monthly_price, valid_from) as monthly_price,
        arg_max(coalesce(tax_rate, 0), valid_from) as tax_rate,
        arg_max(currency, valid_from) as currency
    from raw.products
    inner join raw.providers using (provider_id)
    where
        coalesce(valid_from, date '1970-01-01') <= $day
        and coalesce(retail_billed_by, 'operator') = 'operator'
        and billing_cycle = 'monthly'
    group by product_id
),

charges as (
    select
        o.customer_id,
        p.currency,
        o.order_id,
        o.product_id,
        least(coalesce(e.end_date, date '9999-12-31'), last_day($day) + 1) - $day as days,
        last_day($day) - $day + 1 as period_days,
        p.monthly_price,
        p.tax_rate
    from raw.orders as o
    inner join states as s on o.order_id = s.order_id
    inner join prices as p on o.product_id = p.product_id
    left join ends as e on o.order_id = e.order_id
    where s.state = 'activated' and coalesce(e.end_date, date '9999-12-31') > $day
)

select
    dense_rank() over (order by customer_id, currency) as invoice_no,
    row_number() over (partition by customer_id, currency order by order_id) as line_number,
    customer_id,
    currency,
    order_id,
    product_id,
    days,
    period_days,
    cast(round(monthly_price * days / period_days, 2) as decimal(18, 2)) as amount,
    tax_rate
from charges;

create or replace table floor_invoices as
select
    'INV-' || lpad(cast(invoice_no as varchar), 7, '0') as invoice_number,
    customer_id,
    currency,
    $day as issue_date,
    sum(amount) as subtotal,
    sum(cast(round(amount * tax_rate, 2) as decimal(18, 2))) as tax_total,
    sum(amount) + sum(cast(round(amount * tax_rate, 2) as decimal(18, 2))) as total,
    count(*) as lines
from floor_lines
group by invoice_no, customer_id, currency;
