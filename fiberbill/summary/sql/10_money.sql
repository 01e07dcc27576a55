-- Run summary, step 10: a call's money per currency. What the call's run days invoiced
-- (void invoices left out) and credited (by issue day), what they collected through Stripe
-- and received by hand (by the day received; credit balance applied is neither), and what
-- is late when the call ends.
-- Reads: marts.invoices, marts.credit_notes, marts.payments, $since, $through (the call's
-- first and last run day). Writes: nothing (returns one row per currency).
-- Rule: a call of Jan 10-31 that issued 141.58 and 60.00 in EUR, credited 23.23 and
-- collected 141.58 by card shows EUR: invoiced 201.58 (2), credited 23.23 (1), Stripe
-- 141.58, manual 0.00; late 0 (0.00).
with invoiced as (
    select
        currency,
        count(*) as invoices,
        sum(total) as invoiced
    from marts.invoices
    where
        issue_date between cast($since as date) and cast($through as date)
        and status <> 'void'
    group by currency
),

credited as (
    select
        currency,
        count(*) as credit_notes,
        sum(amount) as credited
    from marts.credit_notes
    where issue_date between cast($since as date) and cast($through as date)
    group by currency
),

received as (
    select
        currency,
        coalesce(sum(amount) filter (where source = 'stripe'), 0) as stripe,
        coalesce(sum(amount) filter (where source = 'manual'), 0) as manual
    from marts.payments
    where
        status = 'succeeded'
        and cast(received_at as date) between cast($since as date) and cast($through as date)
    group by currency
),

late as (
    select
        currency,
        count(*) as late_invoices,
        sum(amount_due) as late_amount
    from marts.invoices
    where status = 'late'
    group by currency
),

currencies as (
    select currency from invoiced
    union
    select currency from credited
    union
    select currency from received
    union
    select currency from late
)

select
    c.currency,
    coalesce(i.invoices, 0) as invoices,
    coalesce(i.invoiced, 0) as invoiced,
    coalesce(n.credit_notes, 0) as credit_notes,
    coalesce(n.credited, 0) as credited,
    coalesce(r.stripe, 0) as stripe,
    coalesce(r.manual, 0) as manual,
    coalesce(l.late_invoices, 0) as late_invoices,
    coalesce(l.late_amount, 0) as late_amount
from currencies as c
left join invoiced as i using (currency)
left join credited as n using (currency)
left join received as r using (currency)
left join late as l using (currency)
order by c.currency;
