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

waiting as (
    select * from {{ ref('stg_inputs__waiting_rows') }}
),

released as (
    select * from {{ ref('stg_inputs__released_rows') }}
),

-- a row that waited for a reference leaves this list once a later load accepts it (or
-- rejects it for another reason, which adds its own entry); until then it is listed as
-- waiting
ingest_rejections as (
    select
        rejected.batch_id,
        rejected.source_table as source,
        rejected.file_name as file,
        rejected.row_number,
        rejected.reason,
        rejected.raw_row as raw,
        waiting.batch_id is not null as is_waiting
    from rejected
    left join waiting
        on
            rejected.batch_id = waiting.batch_id
            and rejected.source_table = waiting.source_table
            and rejected.file_name = waiting.file_name
            and rejected.row_number = waiting.row_number
    where not exists (
        select 1 from released
        where
            released.source_table = rejected.source_table
            and released.file_name = rejected.file_name
            and released.row_number = rejected.row_number
            and released.batch_id > rejected.batch_id
    )
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
        ) as varchar) as raw,
        false as is_waiting
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
    raw,
    is_waiting
from final
order by batch_id, source, file, row_number, reason
