-- Documents, step 20: what the invoice documents of one issue day show, one row each. A
-- document is issued before that day's collection (the ledger issues, then Stripe is
-- charged), so it shows what was paid when it was issued: manual payments received and
-- credit balance applied by the issue day. Amount due = total less that, never below 0.
-- A Stripe charge, a later payment or a credit note never changes an issued document.
-- Tax per rate as the ledger rounded it.
-- Reads: _batch (the documents of one issue day rendered now: rows of _documents, or of
-- _drafts for previews), marts.invoices, marts.invoice_lines, ledger.invoice_taxes,
-- ledger.valid_payments, ledger.balance_applications, staging.stg_inputs__customers,
-- intermediate.int_customers__payment_method, $day. Writes: nothing (returns the rows).
-- Rule: an invoice of 141.58 issued Jan 10 to an auto customer shows amount due 141.58 and
-- "will be charged", even once the card charge of Jan 10 and a credit note of Mar 20 exist.
with paid as (
    select
        invoice_id,
        sum(amount_cents) as paid_cents
    from (
        select
            v.invoice_id,
            v.amount_cents
        from ledger.valid_payments($day) as v
        union all
        select
            b.invoice_id,
            b.amount_cents
        from ledger.balance_applications as b
        where b.run_date <= $day
    ) as received
    where
        invoice_id in (
            select d.invoice_id from _batch as d
        )
    group by invoice_id
)

select
    d.document_number,
    i.invoice_number is null as is_draft,
    d.customer_id,
    i.currency,
    d.issue_date,
    i.due_date,
    i.subtotal,
    i.discount_total,
    i.tax_total,
    i.total,
    i.collection_method,
    c.customer_name,
    c.customer_email,
    c.country,
    c.customer_address,
    m.payment_method_type,
    m.payment_method_last4,
    ledger.money(coalesce(paid.paid_cents, 0)) as paid_at_issue,
    greatest(i.total - ledger.money(coalesce(paid.paid_cents, 0)), 0) as due_at_issue,
    (
        select
            list(
                {
                    line_number: l.line_number,
                    kind: l.kind,
                    description: l.description,
                    days: l.days,
                    period_days: l.period_days,
                    amount: l.amount,
                    tax_rate: l.tax_rate
                }
                order by l.line_number
            )
        from marts.invoice_lines as l
        where l.draft_id = i.draft_id
    ) as lines,
    (
        select
            list(
                {
                    tax_rate: t.tax_rate,
                    base: ledger.money(t.base_cents),
                    tax: ledger.money(t.tax_cents)
                }
                order by t.tax_rate
            )
        from ledger.invoice_taxes as t
        where t.invoice_id = d.invoice_id and t.tax_rate <> 0
    ) as taxes
from _batch as d
inner join marts.invoices as i on d.document_number = coalesce(i.invoice_number, i.draft_id)
left join staging.stg_inputs__customers as c on d.customer_id = c.customer_id
left join intermediate.int_customers__payment_method as m on d.customer_id = m.customer_id
left join paid on d.invoice_id = paid.invoice_id
where d.document_kind = 'invoice'
order by d.document_number;
