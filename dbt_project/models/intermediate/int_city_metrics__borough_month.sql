-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- The numerator and denominator of every monthly metric for every borough and
-- month in which the borough delivered the metric's dataset (no row
-- otherwise): the union of the metrics' own models, int_metric__<id>
-- (config/metrics.yml declares each metric once; macros/metric_inputs.sql
-- says how a model's rows are formed). city_metrics turns these into values
-- and adds the region rows (ratio of sums).
with

unioned as (

    {% for metric_id in metric_ids('month') %}
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
        denominator,
        median_value,
        numerator_last_year,
        denominator_last_year,
        is_in_region_sum
    from unioned

)

select * from final
