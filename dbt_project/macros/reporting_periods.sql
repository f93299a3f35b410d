{#- Reporting periods of every cadence, the same rules as ingest/periods.py: a
    period is stored under its first day and is due lag_days after it ends.
    Both sides are held to tests/fixtures/periods_due_cases.csv
    (tests/test_periods_due.py).

    One rule: every period has an ordinal (its number counted from a fixed
    start), so "the period after", "the period before" and "n periods back"
    are ordinal arithmetic, and a period's first day is read back from its
    ordinal. Daily: days since 1970-01-01. Monthly, quarterly, yearly and
    financial_year: periods of N months counted from January (from April for
    financial_year). Four_weekly: 13 periods per financial year (TfL): period 1
    runs from 1 April to the Saturday before the first Sunday on or after 27
    April, periods 2-12 are 28 days from that Sunday, period 13 ends on 31
    March. A `cadence` argument is an SQL expression (a column or a quoted
    literal). -#}

{#- Months in one period of a cadence: 1 (monthly), 3 (quarterly), 12 (yearly,
    financial_year); null for daily and four_weekly (not whole months). -#}
{% macro period_months(cadence) -%}
    (
        case {{ cadence }}
            when 'monthly' then 1
            when 'quarterly' then 3
            when 'yearly' then 12
            when 'financial_year' then 12
        end
    )
{%- endmacro %}

{#- Binds `value` to the lambda variable `name` inside `body`: a long
    expression is written (and computed) once however often `body` uses it. -#}
{% macro _bind(value, name, body) -%}
    list_transform([{{ value }}], lambda {{ name }}: {{ body }})[1]
{%- endmacro %}

{#- The financial year (the calendar year of its 1 April) holding `day`. -#}
{% macro _financial_year_of(day) -%}
    ((year({{ day }}) * 12 + month({{ day }}) - 4) // 12)
{%- endmacro %}

{#- The first day of TfL's period 2 of the financial year `fy`: the first
    Sunday on or after 27 April (isodow 7 is Sunday). -#}
{% macro _four_weekly_second_start(fy) -%}
    (
        make_date({{ fy }}, 4, 27)
        + cast((7 - isodow(make_date({{ fy }}, 4, 27))) % 7 as integer)
    )
{%- endmacro %}

{#- The ordinal of the period holding `day` (see the top of this file). -#}
{% macro period_ordinal(day, cadence) -%}
    (
        case {{ cadence }}
            when 'daily' then cast({{ day }} - date '1970-01-01' as bigint)
            when 'four_weekly' then {{ _bind(
                _financial_year_of(day), 'period_fy',
                'period_fy * 13 + case when ' ~ day ~ ' < '
                ~ _four_weekly_second_start('period_fy')
                ~ ' then 0 else 1 + least(11, (' ~ day ~ ' - '
                ~ _four_weekly_second_start('period_fy') ~ ') // 28) end'
            ) }}
            else (
                year({{ day }}) * 12 + month({{ day }}) - 1
                - case {{ cadence }} when 'financial_year' then 3 else 0 end
            ) // {{ period_months(cadence) }}
        end
    )
{%- endmacro %}

{#- The first day of the period whose ordinal is `ordinal`. -#}
{% macro period_start_of_ordinal(ordinal, cadence) -%}
    {{ _bind(ordinal, 'period_ordinal', '(
        case ' ~ cadence ~ "
            when 'daily' then date '1970-01-01' + cast(period_ordinal as integer)
            when 'four_weekly' then case
                when period_ordinal % 13 = 0
                    then make_date(cast(period_ordinal // 13 as integer), 4, 1)
                else " ~ _four_weekly_second_start(
                    'cast(period_ordinal // 13 as integer)'
                ) ~ " + cast(28 * (period_ordinal % 13 - 1) as integer)
            end
            else make_date(
                cast((period_ordinal * " ~ period_months(cadence) ~ "
                    + case " ~ cadence ~ " when 'financial_year' then 3 else 0 end
                ) // 12 as integer),
                cast((period_ordinal * " ~ period_months(cadence) ~ "
                    + case " ~ cadence ~ " when 'financial_year' then 3 else 0 end
                ) % 12 + 1 as integer),
                1
            )
        end
    )") }}
{%- endmacro %}

{#- First day of the period holding `day`. -#}
{% macro period_start_of(day, cadence) -%}
    {{ period_start_of_ordinal(period_ordinal(day, cadence), cadence) }}
{%- endmacro %}

{#- First day of the period `periods` after the one holding `day` (negative:
    before). -#}
{% macro period_start_after(day, cadence, periods=1) -%}
    {{ period_start_of_ordinal(
        period_ordinal(day, cadence) ~ ' + (' ~ periods ~ ')', cadence
    ) }}
{%- endmacro %}

{#- Last day of the period starting on (or holding) `start`. -#}
{% macro period_end_of(start, cadence) -%}
    cast({{ period_start_after(start, cadence) }} - 1 as date)
{%- endmacro %}

{#- The ordinal of the latest period due by `day` (ingest.periods.periods_due's
    latest): the period holding day - lag_days, or the one before when that
    one is not yet lag_days past its end. -#}
{% macro _latest_due_ordinal(day, cadence, lag_days) -%}
    {{ _bind(
        period_ordinal('(' ~ day ~ ' - ' ~ lag_days ~ ')', cadence),
        'held_ordinal',
        'held_ordinal - case when '
        ~ period_start_of_ordinal('held_ordinal + 1', cadence)
        ~ ' - 1 + ' ~ lag_days ~ ' > ' ~ day ~ ' then 1 else 0 end'
    ) }}
{%- endmacro %}

{#- First day of the latest period due by `day`. -#}
{% macro latest_due_period_start(day, cadence, lag_days) -%}
    {{ period_start_of_ordinal(_latest_due_ordinal(day, cadence, lag_days), cadence) }}
{%- endmacro %}

{#- The `count` latest periods due by `day`, oldest first, as a list of first
    days (ingest.periods.periods_due). -#}
{% macro periods_due(day, cadence, lag_days, count) -%}
    {{ _bind(
        _latest_due_ordinal(day, cadence, lag_days),
        'latest_ordinal',
        'list_transform(range(' ~ count ~ ' - 1, -1, -1), lambda periods_back: '
        ~ period_start_of_ordinal('latest_ordinal - periods_back', cadence) ~ ')'
    ) }}
{%- endmacro %}
