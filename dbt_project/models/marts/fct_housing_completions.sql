with

completions as (

    select * from {{ ref('stg_borough_feeds__housing_completions') }}

),

final as (

    select
        completion_id,
        completion_ref,
        area_code,
        completion_date,
        data_day,
        period_start,
        tenure_code,
        is_affordable,
        units_completed,
        units_lost,
        net_units,
        batch_id,
        loaded_at
    from completions

)

select * from final
