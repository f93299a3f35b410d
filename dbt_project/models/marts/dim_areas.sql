-- The areas metrics are reported for: each borough, and the region as the
-- sum of its boroughs.
with

boroughs as (

    select * from {{ ref('int_areas__joined_to_reference') }}

),

borough_rows as (

    select
        area_code,
        area_name,
        'borough' as area_type,
        area_slug,
        sub_region,
        region_code,
        region_name,
        population,
        households,
        annual_housing_target
    from boroughs

),

region_rows as (

    select
        region_code as area_code,
        any_value(region_name) as area_name,
        'region' as area_type,
        cast(null as varchar) as area_slug,
        cast(null as varchar) as sub_region,
        region_code,
        any_value(region_name) as region_name,
        sum(population) as population,
        sum(households) as households,
        sum(annual_housing_target) as annual_housing_target
    from boroughs
    group by region_code

),

unioned as (

    select * from borough_rows
    union all
    select * from region_rows

),

final as (

    select
        area_code,
        area_name,
        area_type,
        area_slug,
        sub_region,
        region_code,
        region_name,
        cast(population as bigint) as population,
        cast(households as bigint) as households,
        cast(annual_housing_target as bigint) as annual_housing_target
    from unioned

)

select * from final
