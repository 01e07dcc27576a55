{#- The view and table materializations of this project (DECISIONLOG 77).

    dbt-duckdb's own build each model under a temporary name, rename the old relation to a
    backup, rename the new one into place and drop the backup: four statements, each sent
    through a macro that builds dbt's whole context again. On the small warehouses of a
    daily run that bookkeeping, not DuckDB, is most of a model's time.

    Here a model is one statement in one transaction: drop what stands under the name, then
    create it. DuckDB's transactions make the swap atomic (a reader sees the old relation
    or the new one, never neither), and a fiberbill call works on a staged copy anyway.
    Views keep contracts (get_create_view_as_sql) and tables keep contracts, sql_header,
    indexes and hooks (create_table_as); grants do not exist in DuckDB, and Python models,
    foreign keys and DuckLake are not used by this project (a Python model is refused).
-#}

{% materialization view, adapter='duckdb' %}
  {{ return(fiberbill_replace('view')) }}
{% endmaterialization %}


{% materialization table, adapter='duckdb' %}
  {%- if model['language'] != 'sql' -%}
    {{ exceptions.raise_compiler_error("fiberbill builds SQL models only, not " ~ model['language'] ~ ": " ~ this) }}
  {%- endif -%}
  {{ return(fiberbill_replace('table')) }}
{% endmaterialization %}


{#- Both materializations: what stands under the model's name is dropped and the model made
    again, as a view or a table, in one statement of one transaction. -#}
{% macro fiberbill_replace(kind) %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type=kind) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {{ fiberbill_drop_existing(existing_relation) }}
    {% if kind == 'view' -%}
      {{ get_create_view_as_sql(target_relation, sql) }}
    {%- else -%}
      {{ create_table_as(False, target_relation, compiled_code, 'sql') }}
    {%- endif %}
  {%- endcall %}

  {% if kind == 'table' %}
    {% do create_indexes(target_relation) %}
  {% endif %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmacro %}


{#- The statement that removes what stands under a model's name (a view or a table), in the
    same transaction as the statement that makes it again. -#}
{% macro fiberbill_drop_existing(relation) -%}
  {%- if relation is not none -%}
    drop {{ 'view' if relation.is_view else 'table' }} if exists {{ relation }};
  {%- endif -%}
{%- endmacro %}
