with

journeys as (

    select * from {{ ref('stg_borough_feeds__public_transport_journeys') }}

),

final as (

    select
        journeys_id,
        journeys_ref,
        area_code,
        period_start,
        mode_code,
        journeys,
        data_day,
        batch_id,
        loaded_at
    from journeys

)

select * from final
