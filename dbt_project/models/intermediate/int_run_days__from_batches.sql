-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

-- The data days the pipeline ran for the region: days with batches of daily
-- datasets in audit.batches (any status, any run) from at least
-- var scorecard_run_day_min_share of the boroughs it has ever fetched. A
-- night asks every borough; a re-run of one borough for a day never run
-- before does not make that day a run day, so no other borough owes it. (A
-- periodic batch, a borough's or a region-wide file's, is recorded under its
-- period's first day, which is no run day.)
with

batches as (

    select * from {{ ref('stg_audit__batches') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

daily_batches as (

    select
        batches.data_day,
        batches.area_code
    from batches
    left join datasets
        on batches.dataset = datasets.dataset
    where coalesce(datasets.cadence, 'daily') = 'daily'

),

boroughs_per_day as (

    select
        data_day,
        count(distinct area_code) as boroughs_run
    from daily_batches
    group by data_day

),

boroughs_fetched as (

    select count(distinct area_code) as boroughs_fetched
    from daily_batches

),

final as (

    select
        boroughs_per_day.data_day,
        cast(date_trunc('month', boroughs_per_day.data_day) as date)
            as period_start,
        boroughs_per_day.boroughs_run,
        boroughs_fetched.boroughs_fetched
    from boroughs_per_day
    cross join boroughs_fetched
    where
        boroughs_per_day.boroughs_run
        >= {{ var('scorecard_run_day_min_share') }}
        * boroughs_fetched.boroughs_fetched

)

select * from final
