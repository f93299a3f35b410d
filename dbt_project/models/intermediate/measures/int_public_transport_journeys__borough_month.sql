-- Written from config/metrics.yml, measures.public_transport_journeys,
-- by `python -m pipeline metrics` (make metrics): edit the YAML, not this
-- file; tests/test_metric_config.py fails when the two differ.
with

records as (

    select * from {{ ref('stg_borough_feeds__public_transport_journeys') }}

),

final as (

    select
        area_code,
        period_start,
        count(*) as mode_rows,
        sum(journeys) as journeys
    from records
    group by area_code, period_start

)

select * from final
