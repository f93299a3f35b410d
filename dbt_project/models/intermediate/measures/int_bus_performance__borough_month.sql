-- Written from config/metrics.yml, measures.bus_performance,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__bus_performance') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as routes,
        count(*) filter (where is_high_frequency) as high_frequency_routes,
        coalesce(
            sum(observed_departures) filter (
                where is_high_frequency and excess_wait_minutes is not null
            ),
            0
        ) as high_frequency_departures,
        coalesce(
            sum(excess_wait_minutes * observed_departures) filter (
                where is_high_frequency and excess_wait_minutes is not null
            ),
            0
        ) as excess_wait_departure_minutes
    from records
    group by area_code, period_start

)

select * from final
