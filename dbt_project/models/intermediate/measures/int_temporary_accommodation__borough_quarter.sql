-- Written from config/metrics.yml, measures.temporary_accommodation,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__temporary_accommodation') }}

),

final as (

    select
        area_code,
        period_start,
        sum(households) as households_in_ta,
        sum(households_with_children) as households_with_children_in_ta
    from records
    group by area_code, period_start

)

select * from final
