-- Written from config/metrics.yml, measures.road_casualties,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__road_casualties') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as casualties,
        count(*) filter (where is_ksi) as ksi_casualties
    from records
    group by area_code, period_start

)

select * from final
