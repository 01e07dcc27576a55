{#- Generic test: the column identifies a row, so it is never null and never repeated. One
    dbt node instead of `unique` and `not_null` (DECISIONLOG 80). Each failing row is a
    value that is null or repeated, with how many rows hold it. -#}
{% test key(model, column_name) %}
select
    {{ column_name }} as key_value,
    count(*) as n
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
