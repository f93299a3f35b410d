-- The periods-due rule of int_feed_periods__due (macro periods_due) applied
-- to each case: the first days of the periods due, space-separated, oldest
-- first. One row per case.
with

cases as (

    select * from {{ ref('stg_reading_rules__periods_due_cases') }}

),

read as (

    select
        night,
        cadence,
        lag_days,
        history_periods,
        array_to_string(
            list_transform(
                {{ periods_due(
                    'night', 'cadence', 'lag_days', 'history_periods'
                ) }},
                lambda period_start: strftime(period_start, '%Y-%m-%d')
            ),
            ' '
        ) as periods,
        note
    from cases

)

select * from read
