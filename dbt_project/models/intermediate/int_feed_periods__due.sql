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

latest_due as (

    select
        datasets.dataset,
        datasets.cadence,
        datasets.period_months,
        datasets.lag_days,
        datasets.history_periods,
        run_days.data_day as run_day,
        {{ latest_due_period_start(
            'run_days.data_day', 'datasets.period_months', 'datasets.lag_days'
        ) }} as latest_due_period_start
    from datasets
    cross join run_days

),

owed as (

    select
        latest_due.dataset,
        latest_due.cadence,
        latest_due.period_months,
        latest_due.lag_days,
        latest_due.run_day,
        cast(
            latest_due.latest_due_period_start
            - to_months(latest_due.period_months * periods_back.periods_back)
            as date
        ) as period_start
    from latest_due
    cross join
        unnest(range(latest_due.history_periods)) as periods_back (periods_back)

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
