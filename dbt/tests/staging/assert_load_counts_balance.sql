-- Every row read is either accepted or rejected, per load and table (contract §1, Counting).
select
    batch_id,
    source,
    rows_in,
    accepted,
    rejected
from {{ source('inputs', 'load_counts') }}
where rows_in <> accepted + rejected
