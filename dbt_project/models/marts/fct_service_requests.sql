with

requests as (

    select * from {{ ref('int_service_requests__with_service_level') }}

),

final as (

    select
        request_id,
        request_ref,
        area_code,
        requested_date,
        data_day,
        period_start,
        category_code,
        channel_code,
        is_digital,
        status_code,
        closed_date,
        days_to_resolve,
        service_level_days,
        is_resolved_within_service_level,
        batch_id,
        loaded_at
    from requests

)

select * from final
