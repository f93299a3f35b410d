with

routes as (

    select * from {{ ref('stg_borough_feeds__bus_performance') }}

),

final as (

    select
        route_month_id,
        route_month_ref,
        area_code,
        period_start,
        route,
        service_type_code,
        is_high_frequency,
        scheduled_wait_minutes,
        actual_wait_minutes,
        excess_wait_minutes,
        observed_departures,
        data_day,
        batch_id,
        loaded_at
    from routes

)

select * from final
