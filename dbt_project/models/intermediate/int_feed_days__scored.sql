-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

-- Every feed-day a borough owed the city, and what became of it. What is
-- owed comes from each dataset's publication calendar, the same for every
-- borough: a daily dataset owes every calendar day of the scorecard window
-- (macro scorecard_window_days: the region's first to latest run day, so a
-- one-borough re-run of a new day makes nobody owe it); a monthly or
-- quarterly one owes its due periods (int_feed_periods__due), each under the
-- period's first day. Nothing is owed before the first data day any feed of
-- the dataset was attempted for (a dataset added later owes no history from
-- before it). Delivered = its partition is loaded now (it passed
-- validation, possibly on a re-run); on time = the first batch recorded for
-- it was loaded: for a daily feed the nightly run's, for a periodic one the
-- batch of the night the period fell due (or of the feed's first night, for
-- its history), so a period the borough had not published by then
-- (not_published) is late, though not a validation failure.
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
    -- a city-wide series (owed_by region) is owed by no borough
    where owed_by is distinct from 'region'

),

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

window_days as (

    {{ scorecard_window_days('run_days') }}

),

first_attempts as (

    select
        dataset,
        min(data_day) as first_attempted_day
    from batches
    group by dataset

),

periods_due as (

    select * from {{ ref('int_feed_periods__due') }}

),

calendar as (

    select
        datasets.dataset,
        datasets.cadence,
        window_days.data_day,
        window_days.data_day as due_day,
        window_days.data_day as first_owed_day
    from datasets
    cross join window_days
    where datasets.cadence = 'daily'

    union all

    select
        dataset,
        cadence,
        period_start as data_day,
        due_day,
        first_owed_day
    from periods_due

),

owed as (

    select calendar.*
    from calendar
    inner join first_attempts
        on calendar.dataset = first_attempts.dataset
    where calendar.data_day >= first_attempts.first_attempted_day

),

expected as (

    select
        owed.*,
        areas.area_code,
        areas.region_code
    from owed
    cross join areas

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
        count(*) filter (where status = 'not_published')
            as not_published_batches,
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
        expected.cadence,
        expected.area_code,
        expected.region_code,
        expected.data_day,
        expected.due_day,
        expected.first_owed_day,
        cast(date_trunc('month', expected.first_owed_day) as date)
            as scored_month,
        cast(coalesce(attempts.batches_recorded, 0) as bigint)
            as batches_recorded,
        attempts.first_status,
        partitions.partition_id is not null as is_delivered,
        coalesce(attempts.first_status = 'loaded', false) as is_on_time,
        cast(coalesce(attempts.quarantined_batches, 0) as bigint)
            as quarantined_batches,
        cast(coalesce(attempts.failed_fetches, 0) as bigint) as failed_fetches,
        cast(coalesce(attempts.not_published_batches, 0) as bigint)
            as not_published_batches,
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
