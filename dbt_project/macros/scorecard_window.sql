{#- The data scorecard's window: what a borough owes is measured over the
    calendar, not over the days some run happened to cover. The window runs
    from the region's first run day to its latest (int_run_days__from_batches:
    days the pipeline ran for the region, so a one-borough re-run moves
    neither end), at most var scorecard_window_days long, ending on the
    latest. -#}

{#- One row per calendar day of the window (data_day, date), from the run
    days relation `run_days`; no rows before the first run. -#}
{% macro scorecard_window_days(run_days) -%}
    select cast(window_days.data_day as date) as data_day
    from (
        select
            greatest(
                min(data_day),
                max(data_day) - {{ var('scorecard_window_days') }} + 1
            ) as window_start,
            max(data_day) as window_end
        from {{ run_days }}
    ) as bounds
    cross join unnest(
        generate_series(bounds.window_start, bounds.window_end, interval 1 day)
    ) as window_days (data_day)
{%- endmacro %}
