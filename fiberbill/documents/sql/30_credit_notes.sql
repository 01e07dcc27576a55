-- Documents, step 30: what the credit note documents of one issue day show, one row each:
-- the invoice credited, what was credited per charge (the credited line's description),
-- the tax given back (the note's amount less its lines: the note includes tax) and where
-- the money goes: back through Stripe to the payment it came from, or to what the invoice
-- owes and then the customer's credit balance.
-- Reads: _batch (the documents of one issue day rendered now, rows of _documents),
-- marts.credit_notes, ledger.credit_allocations, ledger.invoice_lines, ledger.stripe_refunds,
-- staging.stg_inputs__customers. Writes: nothing.
-- Rule: CN-2026-000001 of 23.23 for Monthly 60 (order OB), 1 Mar 2026 – 31 Mar 2026,
-- against INV-2026-000005, untaxed: one line of 23.23, tax 0.00.
select
    d.document_number,
    d.customer_id,
    n.currency,
    n.issue_date,
    n.invoice_number as credited_invoice_number,
    n.reason,
    n.amount,
    c.customer_name,
    c.customer_email,
    c.country,
    c.customer_address,
    coalesce(r.refund_cents, 0) > 0 as is_refunded,
    ledger.money(coalesce(r.refund_cents, 0)) as refunded,
    (
        select
            list(
                {
                    description: 'Credit: ' || coalesce(
                        (
                            select any_value(l.description order by l.invoice_id, l.line_number)
                            from ledger.invoice_lines as l
                            where
                                l.order_id = a.order_id and l.charge_key = a.charge_key
                                and l.invoice_id = a.invoice_id
                        ),
                        a.order_id || ' ' || a.charge_key
                    ),
                    amount: ledger.money(a.amount_cents),
                    tax_rate: a.tax_rate
                }
                order by a.order_id, a.charge_key, a.tax_rate
            )
        from ledger.credit_allocations as a
        where a.credit_note_id = d.credit_note_id
    ) as lines
from _batch as d
inner join marts.credit_notes as n on d.document_number = n.credit_note_number
left join staging.stg_inputs__customers as c on d.customer_id = c.customer_id
left join (
    select
        credit_note_id,
        sum(amount_cents) as refund_cents
    from ledger.stripe_refunds
    group by all
) as r on d.credit_note_id = r.credit_note_id
where d.document_kind = 'credit_note'
order by d.document_number;
