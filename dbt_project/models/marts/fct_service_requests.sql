with

requests as (

    select * from {{ ref('stg_borough_feeds__service_requests') }}

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
        batch_id,
        loaded_at
    from requests

)

select * from final
