-- The periods every borough owes of each monthly and quarterly dataset: on
-- each run day the history_periods latest periods due by then (a period is
-- due lag_days after it ends; ingest.periods.periods_due plans the same
-- fetches). One row per dataset and period owed on at least one run day.
with

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}
    where cadence != 'daily'

),

owed as (

    select
        datasets.dataset,
        datasets.cadence,
        datasets.period_months,
        datasets.lag_days,
        run_days.data_day as run_day,
        owed_periods.period_start
    from datasets
    cross join run_days
    cross join unnest({{ periods_due(
        'run_days.data_day', 'datasets.period_months', 'datasets.lag_days',
        'datasets.history_periods'
    ) }}) as owed_periods (period_start)

),

final as (

    select
        dataset,
        period_start,
        any_value(cadence) as cadence,
        {{ period_end_of('period_start', 'any_value(period_months)') }}
            as period_end,
        cast(
            {{ period_end_of('period_start', 'any_value(period_months)') }}
            + any_value(lag_days) as date
        ) as due_day,
        min(run_day) as first_owed_day,
        max(run_day) as last_owed_day
    from owed
    group by dataset, period_start

)

select * from final
