-- Written from config/metrics.yml, measures.service_requests,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('int_service_requests__with_service_level') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as requests,
        count(*) filter (where is_digital) as digital_requests,
        count(*) filter (where status_code = 'closed') as closed_requests,
        count(*) filter (where is_resolved_within_service_level)
            as resolved_within_service_level,
        median(days_to_resolve) as median_days_to_resolve
    from records
    group by area_code, period_start

)

select * from final
