{#- The first day a recorded change (preference_changes, payment_method_changes) counts: the
    local day it was recorded, and at the earliest the first run day of the call that loaded
    it, like every late row (docs/portal.md). -#}
{% macro change_effective_date(recorded_date, first_run_date) -%}
    greatest({{ recorded_date }}, coalesce({{ first_run_date }}, {{ recorded_date }}))
{%- endmacro %}
