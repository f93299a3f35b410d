-- Written from config/metrics.yml, measures.household_waste,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__household_waste') }}

),

final as (

    select
        area_code,
        period_start,
        sum(tonnes) as tonnes,
        coalesce(sum(tonnes) filter (where is_recycled), 0) as recycled_tonnes
    from records
    group by area_code, period_start

)

select * from final
