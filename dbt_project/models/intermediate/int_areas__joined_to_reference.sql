-- Each borough of the region with the reference figures its metrics divide by.
with

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

population as (

    select * from {{ ref('reference_population') }}

),

housing_targets as (

    select * from {{ ref('reference_housing_targets') }}
    where area_code is not null

),

final as (

    select
        areas.area_code,
        areas.area_name,
        areas.area_slug,
        areas.sub_region,
        areas.region_code,
        areas.region_name,
        population.population,
        population.households,
        population.reference_year as population_reference_year,
        housing_targets.ten_year_target as ten_year_housing_target,
        housing_targets.annual_target as annual_housing_target
    from areas
    left join population
        on areas.area_code = population.area_code
    left join housing_targets
        on areas.area_code = housing_targets.area_code

)

select * from final
