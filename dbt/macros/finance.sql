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

{#- The ageing buckets as a relation `buckets` (bucket, first_day, last_day): the days past
    the due date, on the day an amount is read, that put it in the bucket; null where
    unbounded. Current is not yet past due. The one place the bounds are written. -#}
{% macro ageing_bucket_rows() -%}
    (
        values
        ('current_amount', null, 0),
        ('past_due_1_30', 1, 30),
        ('past_due_31_60', 31, 60),
        ('past_due_61_90', 61, 90),
        ('past_due_over_90', 91, null)
    ) as buckets (bucket, first_day, last_day)
{%- endmacro %}

{#- Whether an amount `days_past_due` days past due belongs in `buckets`' row. -#}
{% macro in_ageing_bucket(days_past_due) -%}
    (buckets.first_day is null or {{ days_past_due }} >= buckets.first_day)
    and (buckets.last_day is null or {{ days_past_due }} <= buckets.last_day)
{%- endmacro %}

{#- The money sum of the cents of the rows where `condition` holds (0.00 when none). -#}
{% macro money_where(cents, condition) -%}
    {{ cents_to_money('coalesce(sum(' ~ cents ~ ') filter (where ' ~ condition ~ '), 0)') }}
{%- endmacro %}

{#- The ageing buckets as money columns of an aggregate: the sum of `cents` over the rows
    whose `bucket` names each. -#}
{% macro ageing_bucket_columns(bucket, cents) -%}
    {{ money_where(cents, bucket ~ " = 'current_amount'") }} as current_amount,
    {{ money_where(cents, bucket ~ " = 'past_due_1_30'") }} as past_due_1_30,
    {{ money_where(cents, bucket ~ " = 'past_due_31_60'") }} as past_due_31_60,
    {{ money_where(cents, bucket ~ " = 'past_due_61_90'") }} as past_due_61_90,
    {{ money_where(cents, bucket ~ " = 'past_due_over_90'") }} as past_due_over_90
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
