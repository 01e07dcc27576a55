{#- Billing arithmetic, shared by every model that prices a charge. Money is integer cents;
    DuckDB's `/` returns DOUBLE (TOOLCHAIN G11), so division is integer and rounds once. -#}

{#- n / d rounded half away from zero, for integers n >= 0 and d > 0. -#}
{% macro round_div(n, d) -%}
    ((2 * cast({{ n }} as hugeint) + ({{ d }})) // (2 * cast({{ d }} as hugeint)))
{%- endmacro %}

{#- Start of billing period number k (0 = the period holding the anchor day).
    monthly: calendar months. anniversary: the anchor's day of month, clamped to the
    month's last day (anchor Jan 31 -> Jan 31, Feb 28, Mar 31, Apr 30, ...). -#}
{% macro period_start(billing_cycle, anchor_date, k) -%}
    case
        when {{ billing_cycle }} = 'monthly'
            then cast(date_trunc('month', {{ anchor_date }}) + to_months({{ k }}) as date)
        else cast({{ anchor_date }} + to_months({{ k }}) as date)
    end
{%- endmacro %}

{#- First day after a promotion of `months` months starting on `first_date`, clamped like an
    anniversary: Jan 31 + 1 month -> Feb 28. -#}
{% macro months_after(first_date, months) -%}
    cast({{ first_date }} + to_months({{ months }}) as date)
{%- endmacro %}

{#- Days in the half-open overlap of [a_start, a_end) and [b_start, b_end); 0 if none. -#}
{% macro overlap_days(a_start, a_end, b_start, b_end) -%}
    greatest(0, datediff('day', greatest({{ a_start }}, {{ b_start }}), least({{ a_end }}, {{ b_end }})))
{%- endmacro %}

{#- Integer cents as DECIMAL(18,2), exactly (a multiplication, never a division). -#}
{% macro cents_to_money(cents) -%}
    cast(cast({{ cents }} as decimal(18, 0)) * 0.01 as decimal(18, 2))
{%- endmacro %}

-- A whole number as text, zero-padded to at least `width` digits and never cut (as the
-- ledger's `ledger.padded`; DuckDB's lpad cuts a longer text).
{% macro padded(n, width) -%}
    case
        when length(cast({{ n }} as varchar)) >= {{ width }} then cast({{ n }} as varchar)
        else lpad(cast({{ n }} as varchar), {{ width }}, '0')
    end
{%- endmacro %}
