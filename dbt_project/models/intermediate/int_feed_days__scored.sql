-- Every feed-day the pipeline owed the city: each dataset x borough for each
-- data day the pipeline ran for (a day with at least one batch in
-- audit.batches), and what became of it. Delivered = its partition is loaded
-- now (it passed validation, possibly on a re-run); on time = the first batch
-- recorded for it (the nightly run's) was loaded.
with

batches as (

    select * from {{ ref('stg_audit__batches') }}

),

partitions as (

    select * from {{ ref('stg_borough_feeds__feed_partitions') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

run_days as (

    select distinct data_day from batches

),

expected as (

    select
        datasets.dataset,
        areas.area_code,
        areas.region_code,
        run_days.data_day
    from datasets
    cross join areas
    cross join run_days

),

attempts as (

    select
        dataset,
        area_code,
        data_day,
        count(*) as batches_recorded,
        arg_min(status, attempt) as first_status,
        count(*) filter (where status = 'quarantined') as quarantined_batches,
        count(*) filter (where status = 'fetch_failed') as failed_fetches,
        count(*) filter (
            where status = 'loaded' and has_warnings
        ) as warned_batches,
        coalesce(
            sum(row_count) filter (where status in ('loaded', 'quarantined')),
            0
        ) as rows_validated,
        coalesce(sum(row_count) filter (where status = 'loaded'), 0)
            as rows_passed
    from batches
    group by dataset, area_code, data_day

),

final as (

    select
        expected.dataset || '/' || expected.area_code || '/'
        || strftime(expected.data_day, '%Y-%m-%d') as feed_day_id,
        expected.dataset,
        expected.area_code,
        expected.region_code,
        expected.data_day,
        cast(date_trunc('month', expected.data_day) as date) as period_start,
        cast(coalesce(attempts.batches_recorded, 0) as bigint)
            as batches_recorded,
        attempts.first_status,
        partitions.partition_id is not null as is_delivered,
        coalesce(attempts.first_status = 'loaded', false) as is_on_time,
        cast(coalesce(attempts.quarantined_batches, 0) as bigint)
            as quarantined_batches,
        cast(coalesce(attempts.failed_fetches, 0) as bigint) as failed_fetches,
        cast(coalesce(attempts.warned_batches, 0) as bigint) as warned_batches,
        cast(coalesce(attempts.rows_validated, 0) as bigint) as rows_validated,
        cast(coalesce(attempts.rows_passed, 0) as bigint) as rows_passed
    from expected
    left join attempts
        on
            expected.dataset = attempts.dataset
            and expected.area_code = attempts.area_code
            and expected.data_day = attempts.data_day
    left join partitions
        on
            expected.dataset = partitions.dataset
            and expected.area_code = partitions.area_code
            and expected.data_day = partitions.data_day

)

select * from final
