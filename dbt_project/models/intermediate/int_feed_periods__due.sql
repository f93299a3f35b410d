-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

-- The periods every borough owes of each periodic dataset (every cadence
-- but daily), from its publication calendar: on each day of the scorecard
-- window (macro scorecard_window_days: the region's first to latest run day,
-- whether or not a run happened that day) the history_periods latest periods
-- due by then (a period is due lag_days after it ends;
-- ingest.periods.periods_due plans the same fetches). One row per dataset and
-- period owed on at least one day of the window. A city-wide series (owed_by
-- region) is owed by no borough. A region file's periods are owed only where
-- the file held them (a partition of some area loaded or quarantined): a
-- period the file does not hold is the file's delay or end, not a borough's.
with

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

window_days as (

    {{ scorecard_window_days('run_days') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}
    where cadence != 'daily' and owed_by is distinct from 'region'

),

owed as (

    select
        datasets.dataset,
        datasets.cadence,
        datasets.lag_days,
        window_days.data_day as owed_day,
        owed_periods.period_start
    from datasets
    cross join window_days
    cross join unnest({{ periods_due(
        'window_days.data_day', 'datasets.cadence', 'datasets.lag_days',
        'datasets.history_periods'
    ) }}) as owed_periods (period_start)

),

in_region_files as (

    select distinct
        batches.dataset,
        batches.data_day as period_start
    from {{ ref('stg_audit__batches') }} as batches
    where batches.status in ('loaded', 'quarantined')

),

owed_where_published as (

    select owed.*
    from owed
    inner join datasets on owed.dataset = datasets.dataset
    where
        datasets.published_in is distinct from 'region_file'
        or exists (
            select 1 as held from in_region_files
            where
                in_region_files.dataset = owed.dataset
                and in_region_files.period_start = owed.period_start
        )

),

final as (

    select
        dataset,
        period_start,
        any_value(cadence) as cadence,
        {{ period_end_of('period_start', 'any_value(cadence)') }}
            as period_end,
        cast(
            {{ period_end_of('period_start', 'any_value(cadence)') }}
            + any_value(lag_days) as date
        ) as due_day,
        min(owed_day) as first_owed_day,
        max(owed_day) as last_owed_day
    from owed_where_published
    group by dataset, period_start

)

select * from final
