-- Excess wait time is measured on high-frequency routes only (passengers do
-- not time their arrival to a timetable there); each route weighs as much as
-- the departures observed on it. A high-frequency route without both waits
-- published is left out of both sums.
with

routes as (

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
    from routes
    group by area_code, period_start

)

select * from final
