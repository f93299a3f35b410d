-- Every spelling that resolves to a borough: the configured aliases plus, so
-- feeds that publish them also resolve, each borough's official name, GSS code
-- and slug. One row per normalised spelling.
with

aliases as (

    select * from {{ source('borough_feeds', 'area_aliases') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

spellings as (

    select
        {{ clean_text('area_code') }} as area_code,
        {{ clean_text('alias') }} as alias
    from aliases

    union all

    select
        area_code,
        area_name as alias
    from areas

    union all

    select
        area_code,
        area_code as alias
    from areas

    union all

    select
        area_code,
        area_slug as alias
    from areas

),

normalised as (

    select
        area_code,
        {{ normalise_name('alias') }} as alias_normalised,
        min(alias) as alias
    from spellings
    where alias is not null
    group by 1, 2

),

final as (

    select
        alias_normalised,
        alias,
        area_code
    from normalised

)

select * from final
