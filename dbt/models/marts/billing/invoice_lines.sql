with

lines as (
    select * from {{ ref('stg_ledger__invoice_lines') }}
),

invoices as (
    select * from {{ ref('stg_ledger__invoice_documents') }}
),

final as (
    select
        invoices.invoice_number,
        lines.line_number,
        lines.customer_id,
        lines.order_id,
        lines.product_id,
        lines.provider_id,
        lines.kind,
        lines.service_start,
        lines.service_end,
        lines.days,
        lines.period_days,
        {{ cents_to_money('lines.amount_cents') }} as amount,
        lines.tax_rate,
        lines.currency,
        referenced.invoice_number as ref_invoice_number,
        lines.description,
        ledger.draft_id(lines.invoice_id) as draft_id
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    left join invoices as referenced on lines.ref_invoice_id = referenced.invoice_id
)

select * from final
