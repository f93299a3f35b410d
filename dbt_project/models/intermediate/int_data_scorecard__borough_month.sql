-- A table: its data tests and the models above it read it many times a night,
-- and as a view each of them would recompute it.
{{ config(materialized="table") }}

-- The data scorecard's counts per dataset, borough and calendar month: how
-- many feed-days were owed (by the publication calendar, the same for every
-- borough), delivered (validated and loaded), on time, and how many landed
-- rows passed validation. A monthly or quarterly period is scored in the
-- month of the first day of the scorecard window that owed it. run_days:
-- days the pipeline ran for the region in the month (a one-borough re-run
-- adds none).
with

feed_days as (

    select * from {{ ref('int_feed_days__scored') }}

),

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

run_days_per_month as (

    select
        period_start,
        count(*) as run_days
    from run_days
    group by period_start

),

counts as (

    select
        dataset,
        cadence,
        area_code,
        region_code,
        scored_month as period_start,
        count(*) as expected_feed_days,
        count(*) filter (where is_delivered) as delivered_feed_days,
        count(*) filter (where is_on_time) as on_time_feed_days,
        sum(quarantined_batches) as quarantined_batches,
        sum(failed_fetches) as failed_fetches,
        sum(not_published_batches) as not_published_batches,
        count(*) filter (where not_published_batches > 0)
            as not_published_feed_days,
        sum(rows_validated) as rows_validated,
        sum(rows_passed) as rows_passed
    from feed_days
    group by dataset, cadence, area_code, region_code, scored_month

),

final as (

    select
        counts.*,
        cast(coalesce(run_days_per_month.run_days, 0) as bigint) as run_days
    from counts
    left join run_days_per_month
        on counts.period_start = run_days_per_month.period_start

)

select * from final
