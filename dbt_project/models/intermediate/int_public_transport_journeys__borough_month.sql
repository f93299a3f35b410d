with

journeys as (

    select * from {{ ref('stg_borough_feeds__public_transport_journeys') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as mode_rows,
        sum(journeys) as journeys
    from journeys
    group by area_code, period_start

)

select * from final
