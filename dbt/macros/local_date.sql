{#- The calendar day of a UTC instant in the operator's timezone (settings.timezone). -#}
{% macro local_date(column) -%}
    cast(timezone('{{ var("timezone") }}', {{ column }}) as date)
{%- endmacro %}
