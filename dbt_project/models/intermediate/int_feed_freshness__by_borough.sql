-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

-- How fresh each borough's feed of each dataset is: the last data day it
-- delivered, measured against the latest data day the pipeline ran for the
-- region (int_run_days__from_batches: not the wall clock, so a backfill or a
-- re-run gives the same answer, and a one-borough re-run of a later day
-- leaves the other boroughs as fresh as they were). A daily
-- feed is fresh when it delivered within var freshness_tolerance_days of that
-- day; a monthly or quarterly feed when it delivered the latest period due by
-- then (a period a borough has not published yet makes it stale). dbt source
-- freshness can only say this per raw table; this says it per borough.
with

partitions as (

    select * from {{ ref('stg_borough_feeds__feed_partitions') }}

),

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

areas as (

    select * from {{ ref('stg_borough_feeds__areas') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}
    -- a city-wide series (owed_by region) is owed by no borough
    where owed_by is distinct from 'region'

),

daily_partitions as (

    select partitions.*
    from partitions
    inner join datasets
        on partitions.dataset = datasets.dataset
    where datasets.cadence = 'daily'

),

as_of as (

    select
        coalesce(
            (select max(data_day) as last_run_day from run_days),
            (select max(data_day) as last_loaded_day from daily_partitions)
        ) as as_of_day

),

delivered as (

    select
        dataset,
        area_code,
        min(data_day) as first_data_day,
        max(data_day) as last_data_day,
        max(loaded_at) as last_loaded_at
    from partitions
    group by dataset, area_code

),

expected as (

    select
        datasets.dataset,
        datasets.cadence,
        areas.area_code,
        areas.region_code,
        as_of.as_of_day,
        case
            when datasets.cadence = 'daily' then as_of.as_of_day
            else {{ latest_due_period_start(
                'as_of.as_of_day', 'datasets.cadence', 'datasets.lag_days'
            ) }}
        end as latest_due_data_day,
        datasets.period_months,
        datasets.lag_days
    from datasets
    cross join areas
    cross join as_of

),

final as (

    select
        expected.dataset,
        expected.cadence,
        expected.area_code,
        expected.region_code,
        delivered.first_data_day,
        delivered.last_data_day,
        delivered.last_loaded_at,
        expected.as_of_day,
        expected.latest_due_data_day,
        cast(
            case
                -- 0 for a day delivered after as_of_day (a one-borough
                -- run ahead of the region)
                when
                    expected.cadence = 'daily'
                    and delivered.last_data_day > expected.as_of_day
                    then 0
                when expected.cadence = 'daily'
                    then expected.as_of_day - delivered.last_data_day
                -- a periodic feed is overdue from the due day of the period
                -- after the last one it delivered (0 while none is overdue)
                when delivered.last_data_day is not null then greatest(
                    0,
                    expected.as_of_day - (
                        -- the last day of the period after the last one
                        {{ period_start_after(
                            'delivered.last_data_day', 'expected.cadence', 2
                        ) }}
                        - 1 + expected.lag_days
                    )
                )
            end as bigint
        ) as days_behind,
        case
            when delivered.last_data_day is null then 'missing'
            when
                expected.cadence = 'daily'
                and expected.as_of_day - delivered.last_data_day
                <= {{ var('freshness_tolerance_days') }}
                then 'fresh'
            when
                expected.cadence != 'daily'
                and delivered.last_data_day >= expected.latest_due_data_day
                then 'fresh'
            else 'stale'
        end as freshness_status
    from expected
    left join delivered
        on
            expected.dataset = delivered.dataset
            and expected.area_code = delivered.area_code

)

select * from final
