with

applications as (

    select * from {{ ref('stg_borough_feeds__planning_applications') }}

),

final as (

    select
        application_id,
        application_ref,
        area_code,
        received_date,
        decision_date,
        data_day,
        period_start,
        development_type_code,
        is_major,
        decision_code,
        is_extension_agreed,
        days_to_decide,
        statutory_period_days,
        is_decided_in_time,
        batch_id,
        loaded_at
    from applications

)

select * from final
