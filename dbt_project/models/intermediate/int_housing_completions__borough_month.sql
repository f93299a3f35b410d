with

completions as (

    select * from {{ ref('stg_borough_feeds__housing_completions') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as completion_rows,
        sum(units_completed) as units_completed,
        sum(units_lost) as units_lost,
        sum(net_units) as net_units,
        coalesce(sum(net_units) filter (where is_affordable), 0)
            as affordable_net_units
    from completions
    group by area_code, period_start

)

select * from final
