with

casualties as (

    select * from {{ ref('stg_borough_feeds__road_casualties') }}

),

final as (

    select
        casualty_id,
        casualty_ref,
        area_code,
        accident_date,
        data_day,
        period_start,
        severity_code,
        is_ksi,
        road_user_type_code,
        casualty_age,
        batch_id,
        loaded_at
    from casualties

)

select * from final
