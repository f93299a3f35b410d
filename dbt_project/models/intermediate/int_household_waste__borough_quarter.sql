with

waste as (

    select * from {{ ref('stg_borough_feeds__household_waste') }}

),

final as (

    select
        area_code,
        period_start,
        sum(tonnes) as tonnes,
        coalesce(sum(tonnes) filter (where is_recycled), 0) as recycled_tonnes
    from waste
    group by area_code, period_start

)

select * from final
