{#- Finance rules shared by the as-of-last-run-day marts and the as-of-any-day finance marts
    (docs/finance.md), so a figure is computed one way whichever day it is read for. -#}

{#- What an invoice still owes, in cents, given its status and total − received − credited:
    nothing when void, uncollectible or a draft, never less than nothing. -#}
{% macro amount_due(status, owed_cents) -%}
    case
        when {{ status }} in ('void', 'uncollectible', 'draft') then 0
        else greatest(0, {{ owed_cents }})
    end
{%- endmacro %}

{#- The ageing buckets of amounts owed (`cents`), by days past the due date on the day they
    are read: current (not yet past due), 1–30, 31–60, 61–90 and over 90 days, as money
    columns of an aggregate. -#}
{% macro ageing_buckets(days_past_due, cents) -%}
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ days_past_due ~ ' <= 0), 0)') }}
        as current_amount,
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ days_past_due
        ~ ' between 1 and 30), 0)') }} as past_due_1_30,
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ days_past_due
        ~ ' between 31 and 60), 0)') }} as past_due_31_60,
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ days_past_due
        ~ ' between 61 and 90), 0)') }} as past_due_61_90,
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ days_past_due ~ ' > 90), 0)') }}
        as past_due_over_90,
    {{ cents_to_money('coalesce(sum(' ~ cents ~ '), 0)') }} as total_outstanding
{%- endmacro %}

{#- How a change of a customer's monthly recurring revenue (MRR) at one provider is named,
    from its MRR before and after the day and whether it ever had MRR there before:
    0 -> 60 new (or reactivation when it had MRR before), 60 -> 80 expansion,
    80 -> 60 contraction, 60 -> 0 churn. -#}
{% macro mrr_movement(before_cents, after_cents, had_mrr_before) -%}
    case
        when {{ before_cents }} = 0 and {{ had_mrr_before }} then 'reactivation'
        when {{ before_cents }} = 0 then 'new'
        when {{ after_cents }} = 0 then 'churn'
        when {{ after_cents }} > {{ before_cents }} then 'expansion'
        else 'contraction'
    end
{%- endmacro %}
