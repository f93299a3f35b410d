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
