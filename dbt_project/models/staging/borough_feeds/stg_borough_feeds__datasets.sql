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
        {{ clean_text('licence') }} as licence

    from source

)

select * from final
