with

definitions as (

    select * from {{ ref('metric_definitions') }}

),

rolling_windows as (

    select * from {{ ref('metric_rolling_windows') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

final as (

    select
        definitions.metric_id,
        definitions.metric_name,
        definitions.domain,
        definitions.dataset,
        -- the period of a metric's rows in city_metrics: its dataset's
        -- quarter for a quarterly dataset, else the calendar month
        case
            when datasets.cadence = 'quarterly' then 'quarter' else 'month'
        end as period_type,
        definitions.unit,
        definitions.direction,
        cast(definitions.target as double) as target,
        cast(definitions.value_multiplier as double) as value_multiplier,
        definitions.aggregation,
        definitions.description,
        cast(rolling_windows.rolling_months as integer) as rolling_months,
        rolling_windows.denominator_kind
    from definitions
    left join rolling_windows
        on definitions.metric_id = rolling_windows.metric_id
    left join datasets
        on definitions.dataset = datasets.dataset

)

select * from final
