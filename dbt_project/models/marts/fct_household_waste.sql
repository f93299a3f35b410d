with

waste as (

    select * from {{ ref('stg_borough_feeds__household_waste') }}

),

final as (

    select
        waste_id,
        waste_ref,
        area_code,
        period_start,
        stream_code,
        is_recycled,
        tonnes,
        data_day,
        batch_id,
        loaded_at
    from waste

)

select * from final
