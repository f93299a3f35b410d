with

source as (

    select * from {{ source('audit', 'validation_results') }}

),

results as (

    select
        ---------- ids
        batch_id,
        dataset,
        borough_code as area_code,

        ---------- booleans
        cast(success as boolean) as is_success,

        ---------- text
        failures,
        warnings,

        ---------- json
        cast(result as json) as result,

        ---------- dates and timestamps
        cast(data_day as date) as data_day,
        cast(validated_at as timestamp) as validated_at

    from source

),

final as (

    select
        batch_id,
        dataset,
        area_code,
        data_day,
        is_success,
        failures,
        warnings,
        cast(
            json_extract(result, '$.statistics.evaluated_expectations')
            as bigint
        ) as evaluated_expectations,
        cast(
            json_extract(result, '$.statistics.successful_expectations')
            as bigint
        ) as successful_expectations,
        result,
        validated_at
    from results
    qualify row_number() over (
        partition by batch_id
        order by validated_at desc
    ) = 1

)

select * from final
