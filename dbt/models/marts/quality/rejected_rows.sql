with

rejected as (
    select * from {{ ref('stg_inputs__rejected_rows') }}
),

payments as (
    select * from {{ ref('int_payments__checked') }}
),

payment_rows as (
    select * from {{ source('inputs', 'payments') }}
),

ingest_rejections as (
    select
        batch_id,
        source_table as source,
        file_name as file,
        row_number,
        reason,
        raw_row as raw
    from rejected
),

-- payments are checked against the ledger on the day they are received
payment_rejections as (
    select
        payment_rows._batch_id as batch_id,
        'payments' as source,
        payment_rows._file as file,
        payment_rows._row_number as row_number,
        payments.rejection_reason as reason,
        cast(json_object(
            'payment_id', payment_rows.payment_id,
            'invoice_number', payment_rows.invoice_number,
            'amount', cast(payment_rows.amount as varchar),
            'currency', payment_rows.currency,
            'received_at', cast(payment_rows.received_at as varchar),
            'method', payment_rows.method
        ) as varchar) as raw
    from payments
    inner join payment_rows on payments.payment_id = payment_rows.payment_id
    where payments.is_seen and payments.rejection_reason is not null
),

final as (
    select * from ingest_rejections
    union all
    select * from payment_rejections
)

select
    source,
    file,
    row_number,
    reason,
    raw
from final
order by batch_id, source, file, row_number, reason
