{#- Reporting periods of monthly and quarterly datasets, the same rules as
    ingest/periods.py: a period is stored under its first day and is due
    lag_days after it ends. Both sides are held to
    tests/fixtures/periods_due_cases.csv (tests/test_periods_due.py). -#}

{#- Months in one period of a cadence: 1 (monthly), 3 (quarterly), null for
    daily. -#}
{% macro period_months(cadence) -%}
    (case {{ cadence }} when 'monthly' then 1 when 'quarterly' then 3 end)
{%- endmacro %}

{#- First day of the period of `months` months holding `day`. -#}
{% macro period_start_of(day, months) -%}
    cast(
        date_trunc('month', {{ day }})
        - to_months((month({{ day }}) - 1) % {{ months }})
        as date
    )
{%- endmacro %}

{#- Last day of the period of `months` months starting on `start`. -#}
{% macro period_end_of(start, months) -%}
    cast({{ start }} + to_months({{ months }}) - interval 1 day as date)
{%- endmacro %}

{#- The latest period due by `day` (ingest.periods.periods_due's latest): the
    period holding day - lag_days, or the one before when that one is not yet
    lag_days past its end. -#}
{% macro latest_due_period_start(day, months, lag_days) -%}
    (
        case
            when
                {{ period_end_of(
                    period_start_of('(' ~ day ~ ' - ' ~ lag_days ~ ')', months), months
                ) }} + {{ lag_days }} > {{ day }}
                then cast(
                    {{ period_start_of('(' ~ day ~ ' - ' ~ lag_days ~ ')', months) }}
                    - to_months({{ months }}) as date
                )
            else {{ period_start_of('(' ~ day ~ ' - ' ~ lag_days ~ ')', months) }}
        end
    )
{%- endmacro %}

{#- The `count` latest periods due by `day`, oldest first, as a list of first
    days (ingest.periods.periods_due). -#}
{% macro periods_due(day, months, lag_days, count) -%}
    list_transform(
        range({{ count }} - 1, -1, -1),
        lambda periods_back: cast(
            {{ latest_due_period_start(day, months, lag_days) }}
            - to_months({{ months }} * periods_back) as date
        )
    )
{%- endmacro %}
