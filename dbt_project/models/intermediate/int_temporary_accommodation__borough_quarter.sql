with

accommodation as (

    select * from {{ ref('stg_borough_feeds__temporary_accommodation') }}

),

final as (

    select
        area_code,
        period_start,
        sum(households) as households_in_ta,
        sum(households_with_children) as households_with_children_in_ta
    from accommodation
    group by area_code, period_start

)

select * from final
