-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- The numerator and denominator of every quarterly metric (from the quarterly
-- datasets) for every borough and calendar quarter in which the borough
-- delivered the metric's dataset (no row otherwise): the union of the
-- metrics' own models, int_metric__<id> (config/metrics.yml). city_metrics
-- turns these into values and adds the region rows (ratio of sums).
with

unioned as (

    {% for metric_id in metric_ids('quarter') %}
        select * from {{ ref('int_metric__' ~ metric_id) }}
        {% if not loop.last %}union all by name{% endif %}
    {% endfor %}

),

final as (

    select
        metric_id,
        area_code,
        region_code,
        period_start,
        days_covered,
        numerator,
        denominator
    from unioned

)

select * from final
