with

source as (

    select * from {{ source('london_datastore', 'tfl_journeys') }}

),

region as (

    {{ region_relation() }}

),

renamed as (

    select
        {{ region_wide_area(none, none) }}

        ---------- ids and labels
        {{ clean_text('journeys_ref') }} as journeys_ref,
        {{ clean_text('period_label') }} as published_period_label,
        cast(strptime({{ clean_text('period_ending') }}, '%d-%b-%y') as date)
            as period_end,
        {{ parse_integer('days_in_period') }} as days_in_period,

        ---------- categories: the file's column header, as a mode
        case {{ clean_text('mode') }}
            when 'Bus journeys (m)' then 'Bus'
            when 'Underground journeys (m)' then 'Underground'
            when 'DLR Journeys (m)' then 'DLR'
            when 'Tram Journeys (m)' then 'Tram'
            when 'Overground Journeys (m)' then 'Overground'
            when 'London Cable Car Journeys (m)' then 'Cable car'
            when 'TfL Rail Journeys (m)' then 'TfL Rail'
        end as transport_mode,

        ---------- numerics
        {{ parse_decimal('journeys_millions') }} as journeys_millions

    from source
    cross join region

)

select * from renamed
