{#- The body of one metric's model (models/intermediate/metrics/int_metric__<id>.sql, written
    from config/metrics.yml by `python -m pipeline metrics`): one row per borough and period
    in which the borough delivered the metric's dataset, with the numerator and denominator
    (or the median) city_metrics turns into values and region rows.

    A covered borough without rows counts 0 (the numerator's `coalesce(inputs.x, 0)`).
    numerator / denominator are SQL over `inputs` (the dataset's measures model) and
    `covered` (coverage and reference data: population, households,
    annual_housing_target, days_covered, days_in_period).
    last_year: 'difference' (numerator - last year's numerator, over last year's
    numerator) or 'pair' (last year's numerator and denominator carried): a borough
    without the same period a year earlier has no value and is left out of the region's
    sums (is_in_region_sum false), so the region compares the same boroughs both years.
    covered_by 'run_days' (data_scorecard): every borough in every month the pipeline
    ran, whatever it delivered; numerator and denominator aggregate the scorecard's
    counts over datasets. -#}
{% macro metric_inputs(
    metric_id,
    grain='month',
    dataset=none,
    inputs=none,
    numerator=none,
    denominator=none,
    median=none,
    last_year=none,
    covered_by='dataset'
) %}
{%- set last_year_numerator = (numerator or '') | replace('inputs.', 'inputs_last_year.') -%}
{%- set last_year_denominator = (denominator or '') | replace('inputs.', 'inputs_last_year.') -%}
{%- set has_last_year = 'covered_last_year.area_code is not null' -%}
{%- if covered_by == 'run_days' %}
with

scorecard as (

    select * from {{ ref('int_data_scorecard__borough_month') }}

),

final as (

    select
        '{{ metric_id }}' as metric_id,
        area_code,
        region_code,
        period_start,
        max(run_days) as days_covered,
        cast({{ numerator }} as double) as numerator,
        cast({{ denominator }} as double) as denominator,
        cast(null as double) as median_value,
        cast(null as double) as numerator_last_year,
        cast(null as double) as denominator_last_year,
        true as is_in_region_sum
    from scorecard
    group by area_code, region_code, period_start

)

select * from final
{%- else %}
with

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}
    where
        area_type = 'borough'
        and dataset = '{{ dataset }}'
        and period_type = '{{ grain }}'

),

areas as (

    select * from {{ ref('int_areas__joined_to_reference') }}

),

inputs as (

    select * from {{ ref(inputs) }}

),

covered as (

    select
        coverage.area_code,
        coverage.region_code,
        coverage.period_start,
        coverage.days_covered,
        coverage.days_in_period,
        areas.population,
        areas.households,
        areas.annual_housing_target
    from coverage
    inner join areas
        on coverage.area_code = areas.area_code

),
{%- if last_year %}

covered_last_year as (

    select
        area_code,
        cast(period_start + interval 1 year as date) as period_start,
        period_start as period_start_last_year
    from covered

),
{%- endif %}

final as (

    select
        '{{ metric_id }}' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        {%- if median %}
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        cast(inputs.{{ median }} as double) as median_value,
        {%- elif last_year == 'difference' %}
        case
            when {{ has_last_year }}
                then cast({{ numerator }} - {{ last_year_numerator }} as double)
        end as numerator,
        case
            when {{ has_last_year }}
                then cast({{ last_year_numerator }} as double)
        end as denominator,
        cast(null as double) as median_value,
        {%- elif last_year == 'pair' %}
        case
            when {{ has_last_year }} then cast({{ numerator }} as double)
        end as numerator,
        case
            when {{ has_last_year }} then cast({{ denominator }} as double)
        end as denominator,
        cast(null as double) as median_value,
        {%- else %}
        cast({{ numerator }} as double) as numerator,
        cast({{ denominator }} as double) as denominator,
        cast(null as double) as median_value,
        {%- endif %}
        {%- if last_year == 'pair' %}
        case
            when {{ has_last_year }} then cast({{ last_year_numerator }} as double)
        end as numerator_last_year,
        case
            when {{ has_last_year }} then cast({{ last_year_denominator }} as double)
        end as denominator_last_year,
        {%- else %}
        cast(null as double) as numerator_last_year,
        cast(null as double) as denominator_last_year,
        {%- endif %}
        {{ has_last_year if last_year else 'true' }} as is_in_region_sum
    from covered
    left join inputs
        on
            covered.area_code = inputs.area_code
            and covered.period_start = inputs.period_start
    {%- if last_year %}
    left join covered_last_year
        on
            covered.area_code = covered_last_year.area_code
            and covered.period_start = covered_last_year.period_start
    left join inputs as inputs_last_year
        on
            covered_last_year.area_code = inputs_last_year.area_code
            and covered_last_year.period_start_last_year
            = inputs_last_year.period_start
    {%- endif %}

)

select * from final
{%- endif %}
{% endmacro %}
