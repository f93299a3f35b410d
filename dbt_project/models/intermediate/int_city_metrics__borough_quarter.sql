-- Materialised as a table: city_metrics and this model's data tests all
-- read it, and as a view each of them would recompute the chain beneath it.
{{ config(materialized="table") }}

-- The numerator and denominator of every quarterly metric (from the quarterly
-- datasets) for every borough and calendar quarter in which the borough
-- delivered the metric's dataset (no row otherwise). city_metrics turns these
-- into values and adds the region rows (ratio of sums).
with

coverage as (

    select * from {{ ref('int_feed_coverage__by_month') }}
    where area_type = 'borough' and period_type = 'quarter'

),

areas as (

    select * from {{ ref('int_areas__joined_to_reference') }}

),

accommodation as (

    select * from {{ ref('int_temporary_accommodation__borough_quarter') }}

),

waste as (

    select * from {{ ref('int_household_waste__borough_quarter') }}

),

covered as (

    select
        coverage.dataset,
        coverage.area_code,
        coverage.region_code,
        coverage.period_start,
        coverage.days_covered,
        areas.households
    from coverage
    inner join areas
        on coverage.area_code = areas.area_code

),

-- households in TA at the quarter's end / households (seed
-- reference_population; null for a borough without a household estimate,
-- e.g. Greater Manchester's, which makes the value null)
ta_per_1000_households as (

    select
        'ta_per_1000_households' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(accommodation.households_in_ta, 0) as double)
            as numerator,
        cast(covered.households as double) as denominator
    from covered
    left join accommodation
        on
            covered.area_code = accommodation.area_code
            and covered.period_start = accommodation.period_start
    where covered.dataset = 'temporary_accommodation'

),

-- tonnes recycled, composted or reused / all household waste tonnes
recycling_rate as (

    select
        'recycling_rate' as metric_id,
        covered.area_code,
        covered.region_code,
        covered.period_start,
        covered.days_covered,
        cast(coalesce(waste.recycled_tonnes, 0) as double) as numerator,
        cast(coalesce(waste.tonnes, 0) as double) as denominator
    from covered
    left join waste
        on
            covered.area_code = waste.area_code
            and covered.period_start = waste.period_start
    where covered.dataset = 'household_waste'

),

final as (

    select * from ta_per_1000_households
    union all
    select * from recycling_rate

)

select * from final
