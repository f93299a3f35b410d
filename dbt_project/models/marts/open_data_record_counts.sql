-- Records per daily (event) dataset, area and month, for the open-data
-- record-count files: each borough that has records and the region's total
-- over them. A daily dataset's rows are events (casualties, requests,
-- decisions); a monthly or quarterly dataset's rows are categories (modes,
-- routes, property types) whose count says nothing, so those are left out
-- here by their cadence (raw.datasets). Counted from the fact tables, after
-- staging's de-duplication. Small counts are suppressed by the export.
{%- set fact_models = [
    'road_casualties', 'housing_completions', 'service_requests',
    'planning_applications', 'public_transport_journeys', 'bus_performance',
    'temporary_accommodation', 'house_prices', 'household_waste',
] %}
with

{% for dataset in fact_models %}
    {{ dataset }} as (

        select
            '{{ dataset }}' as dataset,
            area_code,
            period_start
        from {{ ref('fct_' ~ dataset) }}

    ),

{% endfor %}
datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

records as (

    {% for dataset in fact_models %}
        select * from {{ dataset }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {% endfor %}
),

event_records as (

    select records.*
    from records
    inner join datasets
        on records.dataset = datasets.dataset
    where datasets.cadence = 'daily'

),

per_borough as (

    select
        event_records.dataset,
        event_records.area_code,
        areas.area_name,
        'borough' as area_type,
        areas.region_code,
        event_records.period_start,
        count(*) as records
    from event_records
    inner join areas
        on event_records.area_code = areas.area_code
    group by all

),

per_region as (

    select
        per_borough.dataset,
        regions.area_code,
        regions.area_name,
        'region' as area_type,
        regions.region_code,
        per_borough.period_start,
        sum(per_borough.records) as records
    from per_borough
    inner join areas as regions
        on per_borough.region_code = regions.area_code
    group by all

),

final as (

    select
        dataset,
        area_code,
        area_name,
        area_type,
        region_code,
        cast(period_start as date) as period_start,
        cast(records as bigint) as records
    from per_borough
    union all
    select
        dataset,
        area_code,
        area_name,
        area_type,
        region_code,
        cast(period_start as date) as period_start,
        cast(records as bigint) as records
    from per_region

)

select * from final
