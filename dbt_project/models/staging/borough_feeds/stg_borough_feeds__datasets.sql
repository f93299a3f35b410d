with

source as (

    select * from {{ source('borough_feeds', 'datasets') }}

),

final as (

    select
        ---------- ids
        {{ clean_text('dataset') }} as dataset,

        ---------- text
        {{ clean_text('domain') }} as domain,
        {{ clean_text('title') }} as title,
        {{ clean_text('owner') }} as owner,
        {{ clean_text('licence') }} as licence,

        ---------- categories
        coalesce({{ clean_text('cadence') }}, 'daily') as cadence,
        -- borough: each borough owes its partitions (its own portal's feed,
        -- or its share of a region-wide file split by borough); region: a
        -- city-wide series no borough owes (its partition is the region's)
        coalesce({{ clean_text('owed_by') }}, 'borough') as owed_by,
        -- region_file: one file for the whole region (its periods are owed
        -- only where the file covers them); borough_portal: each borough's own
        coalesce(
            {{ clean_text('published_in') }}, 'borough_portal'
        ) as published_in,

        ---------- numerics
        {{ period_months(clean_text('cadence')) }} as period_months,
        cast(lag_days as integer) as lag_days,
        cast(history_periods as integer) as history_periods

    from source

)

select * from final
