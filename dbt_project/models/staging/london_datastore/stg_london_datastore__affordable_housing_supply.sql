with

source as (

    select * from {{ source('london_datastore', 'affordable_housing_supply') }}

),

region as (

    {{ region_relation() }}

),

renamed as (

    select
        {{ region_wide_area('area_code', 'borough') }}

        ---------- ids and labels
        {{ clean_text('supply_ref') }} as supply_ref,
        {{ clean_text('financial_year') }} as financial_year,

        ---------- numerics (the file mixes '5,926' and 12611)
        {{ parse_integer('affordable_homes') }} as affordable_homes

    from source
    cross join region

)

select * from renamed
