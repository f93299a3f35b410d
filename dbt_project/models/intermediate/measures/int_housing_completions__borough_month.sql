-- Written from config/metrics.yml, measures.housing_completions,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__housing_completions') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as completion_rows,
        sum(units_completed) as units_completed,
        sum(units_lost) as units_lost,
        sum(net_units) as net_units,
        coalesce(sum(net_units) filter (where is_affordable), 0)
            as affordable_net_units
    from records
    group by area_code, period_start

)

select * from final
