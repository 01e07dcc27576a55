-- Step 75, credit balance applied: a customer's credit balance pays the invoices issued
-- today in that currency, in number order, as far as it goes.
-- Reads: ledger.invoice_documents, invoice_money, ledger.balance_events,
-- ledger.balance_applications. Writes: _scope, ledger.balance_applications.
-- Rule: a balance of 25.00 and today's invoices INV-2026-000004 (20.00) and
-- INV-2026-000005 (30.00): 20.00 pays the first, 5.00 goes to the second.
create or replace temp table _scope as
select invoice_id from ledger.invoice_documents
where issue_date = $day and invoice_number is not null;

insert into ledger.balance_applications
with balances as (
    select
        customer_id,
        currency,
        sum(amount_cents) as balance_cents
    from (
        select
            customer_id,
            currency,
            amount_cents
        from ledger.balance_events
        union all
        select
            customer_id,
            currency,
            -amount_cents as amount_cents
        from ledger.balance_applications
    ) as movements
    group by all
    having sum(amount_cents) > 0
),

ranked as (
    select
        t.*,
        b.balance_cents,
        coalesce(sum(t.owed_cents) over (
            partition by t.customer_id, t.currency order by t.invoice_number
            rows between unbounded preceding and 1 preceding
        ), 0) as before_cents
    from ledger.invoice_money($day, '_scope') as t
    inner join balances as b using (customer_id, currency)
    where t.owed_cents > 0 and not t.is_void and not t.is_written_off
)

select
    (select coalesce(max(a.application_id), 0) from ledger.balance_applications as a)
    + row_number() over (order by invoice_number) as application_id,
    invoice_id,
    customer_id,
    currency,
    least(owed_cents, balance_cents - before_cents) as amount_cents,
    $day as run_date
from ranked
where balance_cents > before_cents;
