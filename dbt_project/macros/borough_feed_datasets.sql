{#- The datasets of the catalogue that have a raw table in source
    borough_feeds (one row per published record): the keys of
    borough_feed_record_refs() below. Tests that check every landed row loop
    over them. tests/test_dbt_spec_drift.py fails, naming the dataset, when
    these drift from config/datasets.yml (a dataset without a `source` block). -#}
{% macro borough_feed_datasets() -%}
    {{ return(borough_feed_record_refs().keys() | list) }}
{%- endmacro %}

{#- Each borough feed dataset's record reference column (its `key` in
    config/datasets.yml): staging keeps one row per borough and reference (the
    latest load wins), and the incremental models rebuild by it. Add a dataset
    here with its source table. -#}
{% macro borough_feed_record_refs() -%}
    {{ return({
        'road_casualties': 'casualty_ref',
        'housing_completions': 'completion_ref',
        'service_requests': 'request_ref',
        'public_transport_journeys': 'journeys_ref',
        'bus_performance': 'route_month_ref',
        'temporary_accommodation': 'ta_ref',
        'planning_applications': 'application_ref',
        'house_prices': 'price_ref',
        'household_waste': 'waste_ref',
    }) }}
{%- endmacro %}
