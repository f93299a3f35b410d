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

        ---------- numerics
        {{ period_months(clean_text('cadence')) }} as period_months,
        cast(lag_days as integer) as lag_days,
        cast(history_periods as integer) as history_periods

    from source
    -- the datasets every borough publishes on its own portal; region-wide
    -- files (datasets.yml `source`) are staged in staging/london_datastore
    where
        {{ clean_text('dataset') }} in (
            {%- for dataset in borough_feed_datasets() %}
                '{{ dataset }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )

)

select * from final
