{#- The datasets of the catalogue that have a raw table in source
    borough_feeds (one row per published record); tests that check every
    landed row loop over them. Add a dataset here with its source table. -#}
{% macro borough_feed_datasets() -%}
    {{ return([
        'road_casualties',
        'housing_completions',
        'service_requests',
        'public_transport_journeys',
        'bus_performance',
        'temporary_accommodation',
        'planning_applications',
        'house_prices',
        'household_waste',
    ]) }}
{%- endmacro %}

{#- Each borough feed dataset's record reference column: staging keeps one row per borough
    and reference (the latest load wins), and the incremental models rebuild by it. -#}
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
