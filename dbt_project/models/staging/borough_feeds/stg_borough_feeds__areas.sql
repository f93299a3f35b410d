with

source as (

    select * from {{ source('borough_feeds', 'areas') }}

),

areas as (

    select
        ---------- ids
        {{ clean_text('area_code') }} as area_code,
        {{ clean_text('region_code') }} as region_code,

        ---------- text
        {{ clean_text('area_name') }} as area_name,
        {{ clean_text('area_slug') }} as area_slug,
        {{ clean_text('sub_region') }} as sub_region,
        {{ clean_text('region_name') }} as region_name

    from source

),

final as (

    select distinct * from areas

)

select * from final
