-- Every batch that failed validation and was kept out of the warehouse, with
-- why, its full Great Expectations result and whether a later batch for the
-- same feed and day has since loaded (the borough fixed its feed and the day
-- was re-run). A table like every mart, rebuilt each night: a DuckDB view
-- names the pipeline's own database file and would not resolve in the
-- published copy analysts open.
with

batches as (

    select * from {{ ref('stg_audit__batches') }}

),

results as (

    select * from {{ ref('stg_audit__validation_results') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

quarantined as (

    select * from batches
    where status = 'quarantined'

),

later_loads as (

    select
        quarantined.batch_record_id,
        arg_min(batches.batch_id, batches.recorded_at) as resolved_by_batch_id,
        min(batches.recorded_at) as resolved_at
    from quarantined
    inner join batches
        on
            quarantined.dataset = batches.dataset
            and quarantined.area_code = batches.area_code
            and quarantined.data_day = batches.data_day
            and quarantined.recorded_at < batches.recorded_at
            and batches.status = 'loaded'
    group by quarantined.batch_record_id

),

final as (

    select
        quarantined.batch_record_id,
        quarantined.batch_id,
        quarantined.run_id,
        quarantined.dataset,
        quarantined.area_code,
        areas.area_name,
        quarantined.data_day,
        quarantined.row_count,
        quarantined.reason,
        quarantined.warnings,
        quarantined.quarantine_path,
        quarantined.recorded_at,
        results.evaluated_expectations,
        results.successful_expectations,
        results.result as validation_result,
        later_loads.batch_record_id is not null as is_resolved,
        later_loads.resolved_by_batch_id,
        later_loads.resolved_at
    from quarantined
    left join results
        on quarantined.batch_id = results.batch_id
    left join later_loads
        on quarantined.batch_record_id = later_loads.batch_record_id
    left join areas
        on quarantined.area_code = areas.area_code

)

select * from final
