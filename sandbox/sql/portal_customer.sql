-- The demo customer whose portal link `make demo` prints: the one with the most late
-- invoices (the portal then shows every status and Pay now), then the most invoices.
-- Reads: the portal's snapshot (balances, invoices). Writes: nothing.
-- Rule: a customer with 2 late invoices comes before one with 1.
select i.customer_id
from invoices as i
left join balances as b on i.customer_id = b.customer_id
group by i.customer_id
order by
    coalesce(max(b.late_invoices), 0) desc,
    count(*) desc,
    i.customer_id asc
limit 1
