with

accommodation as (

    select * from {{ ref('stg_borough_feeds__temporary_accommodation') }}

),

final as (

    select
        ta_id,
        ta_ref,
        area_code,
        period_start,
        accommodation_type_code,
        households,
        households_with_children,
        data_day,
        batch_id,
        loaded_at
    from accommodation

)

select * from final
