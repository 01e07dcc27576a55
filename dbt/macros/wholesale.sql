{#- Published specs never change: in an incremental build, only the specs (provider and
    month) not in this model yet are selected from the ledger table. -#}
{% macro unpublished_specs(ledger_table) %}
    {% if is_incremental() %}
        select published.*
        from {{ ref('stg_ledger__' ~ ledger_table) }} as published
        where not exists (
            select 1
            from {{ this }} as done
            where
                done.provider_id = published.provider_id
                and done.spec_month = published.spec_month
        )
    {% else %}
        select * from {{ ref('stg_ledger__' ~ ledger_table) }}
    {% endif %}
{% endmacro %}
