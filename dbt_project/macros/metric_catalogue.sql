{#- Written from config/metrics.yml by `python -m pipeline metrics` (make metrics):
    edit the YAML, not this file. -#}
{#- The ids of the metrics whose models (int_metric__<id>) give rows of `grain`
    (month | quarter): the union models loop over them. -#}
{% macro metric_ids(grain) %}
{{ return({'month': ['ksi_per_100k', 'net_completions_vs_target', 'affordable_share', 'service_requests_per_1000', 'median_days_to_resolve', 'digital_channel_share', 'data_scorecard', 'bus_excess_wait_minutes', 'daily_journeys', 'journeys_change_yoy', 'major_decided_in_time_pct', 'average_house_price', 'house_price_change_yoy', 'resolved_within_service_level_pct'], 'quarter': ['ta_per_1000_households', 'recycling_rate']}.get(grain, [])) }}
{% endmacro %}

{#- The median metrics: their region median is pooled over these records. -#}
{% macro median_metrics() %}
{{ return([{'metric_id': 'median_days_to_resolve', 'records': 'fct_service_requests', 'column': 'days_to_resolve'}]) }}
{% endmacro %}
