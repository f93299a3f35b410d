-- The audit of local data assets: for each borough and dataset, over what
-- its publication calendar says it owed (every day of the scorecard window
-- for a daily dataset, every period due in it for a monthly or quarterly
-- one; the same for every borough, so one borough's re-run changes no other
-- borough's row), how much arrived, arrived on the night, and passed
-- validation, and how fresh it is now. Shares are ratios of counts (null
-- when nothing was owed).
with

feed_days as (

    select * from {{ ref('int_feed_days__scored') }}

),

freshness as (

    select * from {{ ref('int_feed_freshness__by_borough') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

run_days as (

    select * from {{ ref('int_run_days__from_batches') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

counts as (

    select
        dataset,
        area_code,
        count(*) as expected_feed_days,
        count(*) filter (where is_delivered) as delivered_feed_days,
        count(*) filter (where is_on_time) as on_time_feed_days,
        sum(quarantined_batches) as quarantined_batches,
        sum(failed_fetches) as failed_fetches,
        sum(not_published_batches) as not_published_batches,
        count(*) filter (where not_published_batches > 0)
            as not_published_feed_days,
        sum(warned_batches) as warned_batches,
        sum(rows_validated) as rows_validated,
        sum(rows_passed) as rows_passed,
        min(first_owed_day) as first_run_day,
        min(data_day) as first_owed_data_day,
        max(data_day) as last_owed_data_day
    from feed_days
    group by dataset, area_code

),

last_run_day as (

    select max(data_day) as last_run_day from run_days

),

final as (

    select
        freshness.area_code || '/' || freshness.dataset as scorecard_id,
        freshness.area_code,
        areas.area_name,
        freshness.dataset,
        datasets.domain,
        datasets.cadence,
        cast(coalesce(counts.expected_feed_days, 0) as bigint)
            as expected_feed_days,
        cast(coalesce(counts.delivered_feed_days, 0) as bigint)
            as delivered_feed_days,
        cast(coalesce(counts.on_time_feed_days, 0) as bigint)
            as on_time_feed_days,
        cast(coalesce(counts.quarantined_batches, 0) as bigint)
            as quarantined_batches,
        cast(coalesce(counts.failed_fetches, 0) as bigint) as failed_fetches,
        cast(coalesce(counts.not_published_batches, 0) as bigint)
            as not_published_batches,
        cast(coalesce(counts.not_published_feed_days, 0) as bigint)
            as not_published_feed_days,
        cast(coalesce(counts.warned_batches, 0) as bigint) as warned_batches,
        cast(coalesce(counts.rows_validated, 0) as bigint) as rows_validated,
        cast(coalesce(counts.rows_passed, 0) as bigint) as rows_passed,
        100.0 * counts.delivered_feed_days
        / nullif(counts.expected_feed_days, 0) as completeness_pct,
        100.0 * counts.on_time_feed_days
        / nullif(counts.expected_feed_days, 0) as on_time_pct,
        100.0 * counts.rows_passed
        / nullif(counts.rows_validated, 0) as rows_passing_pct,
        counts.first_run_day,
        case
            when counts.dataset is not null
                then last_run_day.last_run_day
        end as last_run_day,
        counts.first_owed_data_day,
        counts.last_owed_data_day,
        freshness.last_data_day,
        freshness.latest_due_data_day,
        freshness.last_loaded_at,
        freshness.days_behind,
        freshness.freshness_status
    from freshness
    inner join datasets
        on freshness.dataset = datasets.dataset
    left join counts
        on
            freshness.dataset = counts.dataset
            and freshness.area_code = counts.area_code
    left join areas
        on freshness.area_code = areas.area_code
    cross join last_run_day

)

select * from final
