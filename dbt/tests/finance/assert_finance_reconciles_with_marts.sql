-- Every finance figure reconciles to the cent with the contract marts, per currency:
--   each month: invoiced − credited = Σ totals of the invoices issued in it
--                                     − Σ the credit notes issued in it;
--   each month: late_fees = Σ late-fee lines of the invoices issued in it;
--   the last run day: receivables = Σ marts.receivables_ageing.total_outstanding, and
--                     MRR = Σ monthly prices of marts.customer_services;
--   all days: collected through Stripe = Σ succeeded Stripe payments of marts.payments.
-- Returns one row per figure that does not.
with

monthly as (
    select * from {{ ref('finance_monthly') }}
),

last_day as (
    select * from {{ ref('finance_daily') }}
    where day = (select max(d.day) from {{ ref('finance_daily') }} as d)
),

invoiced as (
    select
        strftime(issue_date, '%Y-%m') as month,
        currency,
        sum(total) as total
    from {{ ref('invoices') }}
    where invoice_number is not null
    group by all
),

credited as (
    select
        strftime(issue_date, '%Y-%m') as month,
        currency,
        sum(amount) as amount
    from {{ ref('credit_notes') }}
    group by all
),

late_fees as (
    select
        strftime(invoices.issue_date, '%Y-%m') as month,
        invoices.currency,
        sum(invoice_lines.amount) as amount
    from {{ ref('invoice_lines') }} as invoice_lines
    inner join {{ ref('invoices') }} as invoices on invoice_lines.draft_id = invoices.draft_id
    where invoice_lines.kind = 'late_fee' and invoices.invoice_number is not null
    group by all
),

ageing as (
    select
        currency,
        sum(total_outstanding) as total
    from {{ ref('receivables_ageing') }}
    group by all
),

services as (
    select
        currency,
        sum(monthly_price) as mrr
    from {{ ref('customer_services') }}
    group by all
),

stripe as (
    select
        currency,
        sum(amount) as amount
    from {{ ref('payments') }}
    where source = 'stripe' and status = 'succeeded'
    group by all
),

finance_stripe as (
    select
        currency,
        sum(collected_stripe) as amount
    from {{ ref('finance_daily') }}
    group by all
),

checks as (
    select
        'invoiced − credited ' || monthly.month || ' ' || monthly.currency as figure,
        monthly.invoiced - monthly.credited as finance,
        coalesce(invoiced.total, 0) - coalesce(credited.amount, 0) as marts
    from monthly
    left join invoiced
        on monthly.month = invoiced.month and monthly.currency = invoiced.currency
    left join credited
        on monthly.month = credited.month and monthly.currency = credited.currency
    union all
    select
        'late fees ' || monthly.month || ' ' || monthly.currency as figure,
        monthly.late_fees as finance,
        coalesce(late_fees.amount, 0) as marts
    from monthly
    left join late_fees
        on monthly.month = late_fees.month and monthly.currency = late_fees.currency
    union all
    select
        'receivables ' || last_day.currency as figure,
        last_day.receivables as finance,
        coalesce(ageing.total, 0) as marts
    from last_day
    left join ageing on last_day.currency = ageing.currency
    union all
    select
        'MRR ' || last_day.currency as figure,
        last_day.mrr as finance,
        coalesce(services.mrr, 0) as marts
    from last_day
    left join services on last_day.currency = services.currency
    union all
    select
        'collected through Stripe ' || finance_stripe.currency as figure,
        finance_stripe.amount as finance,
        coalesce(stripe.amount, 0) as marts
    from finance_stripe
    left join stripe on finance_stripe.currency = stripe.currency
)

select * from checks
where finance <> marts
