-- Written from config/metrics.yml, measures.planning_applications,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__planning_applications') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as decisions,
        count(*) filter (where is_major) as major_decisions,
        count(*) filter (where is_major and is_decided_in_time)
            as major_decisions_in_time
    from records
    group by area_code, period_start

)

select * from final
