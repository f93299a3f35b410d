with

source as (

    select * from {{ source('london_datastore', 'homelessness') }}

),

region as (

    {{ region_relation() }}

),

renamed as (

    select
        {{ region_wide_area('area_code', 'borough') }}

        ---------- ids and labels
        {{ clean_text('p1e_ref') }} as p1e_ref,
        replace({{ clean_text('financial_year') }}, '_', '-') as financial_year,

        ---------- numerics: '--' (under 5, suppressed) and '..' (no data): null
        {{ parse_integer('accepted') }} as accepted,
        {{ collapse_whitespace('accepted') }} = '--'
            as accepted_suppressed,
        {{ parse_integer('households_in_ta') }} as households_in_ta,
        {{ collapse_whitespace('households_in_ta') }} = '--'
            as households_in_ta_suppressed,
        {{ parse_integer('households_in_bed_and_breakfast') }}
            as households_in_bed_and_breakfast,
        {{ collapse_whitespace('households_in_bed_and_breakfast') }} = '--'
            as households_in_bed_and_breakfast_suppressed,
        {{ parse_integer('region_households_in_ta') }}
            as region_published_households_in_ta

    from source
    cross join region

)

select * from renamed
