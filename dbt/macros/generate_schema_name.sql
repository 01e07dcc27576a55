{#- Schemas are named exactly as configured (staging, intermediate, marts), not prefixed with
    the target schema, so analysts find `marts.invoices` where the contract says it is. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
