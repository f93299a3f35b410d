-- Each service request with its category's service level (seed
-- reference_service_levels, the project's illustrative levels) and whether it
-- was closed within it. An open request, or a category without a level, is
-- not within.
with

requests as (

    select * from {{ ref('stg_borough_feeds__service_requests') }}

),

service_levels as (

    select * from {{ ref('reference_service_levels') }}

),

final as (

    select
        requests.*,
        service_levels.service_level_days,
        coalesce(
            requests.status_code = 'closed'
            and requests.days_to_resolve <= service_levels.service_level_days,
            false
        ) as is_resolved_within_service_level
    from requests
    left join service_levels
        on requests.category_code = service_levels.category_code

)

-- every staged request column is passed on
select * from final  -- noqa: AM04
