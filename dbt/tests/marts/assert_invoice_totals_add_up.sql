-- The invoice identities of the contract (§5), on the marts as readers see them:
--   total = subtotal − discount_total + tax_total;
--   subtotal = the sum of the non-discount lines, discount_total = −(the discount lines);
--   amount_due = 0 for void, uncollectible and draft invoices, else
--     max(0, total − amount_paid − amount_credited).
-- Example: lines 60.00 and −10.00 with 21 % tax: subtotal 60.00, discount_total 10.00,
-- tax_total 10.50, total 60.50; paid 20.00 → amount_due 40.50.
-- Returns the invoices that break one of them.
with

invoices as (
    select * from {{ ref('invoices') }}
),

lines as (
    select
        draft_id,
        coalesce(sum(amount) filter (where kind <> 'discount'), 0) as line_subtotal,
        -coalesce(sum(amount) filter (where kind = 'discount'), 0) as line_discount
    from {{ ref('invoice_lines') }}
    group by draft_id
)

select
    invoices.draft_id,
    invoices.invoice_number,
    invoices.subtotal,
    invoices.discount_total,
    invoices.tax_total,
    invoices.total,
    invoices.amount_due,
    coalesce(lines.line_subtotal, 0) as line_subtotal,
    coalesce(lines.line_discount, 0) as line_discount
from invoices
left join lines on invoices.draft_id = lines.draft_id
where
    invoices.total <> invoices.subtotal - invoices.discount_total + invoices.tax_total
    or invoices.subtotal <> coalesce(lines.line_subtotal, 0)
    or invoices.discount_total <> coalesce(lines.line_discount, 0)
    or invoices.amount_due <> case
        when invoices.status in ('void', 'uncollectible', 'draft') then 0
        else greatest(0, invoices.total - invoices.amount_paid - invoices.amount_credited)
    end
