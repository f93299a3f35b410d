with

definitions as (

    select * from {{ ref('metric_definitions') }}

),

final as (

    select
        metric_id,
        metric_name,
        domain,
        dataset,
        unit,
        direction,
        cast(target as double) as target,
        cast(value_multiplier as double) as value_multiplier,
        aggregation,
        description
    from definitions

)

select * from final
