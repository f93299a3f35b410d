with

casualties as (

    select * from {{ ref('stg_borough_feeds__road_casualties') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as casualties,
        count(*) filter (where is_ksi) as ksi_casualties
    from casualties
    group by area_code, period_start

)

select * from final
