with

applications as (

    select * from {{ ref('stg_borough_feeds__planning_applications') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as decisions,
        count(*) filter (where is_major) as major_decisions,
        count(*) filter (where is_major and is_decided_in_time)
            as major_decisions_in_time
    from applications
    group by area_code, period_start

)

select * from final
