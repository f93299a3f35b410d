-- The data scorecard's counts per dataset, borough and calendar month: how
-- many feed-days were owed, delivered (validated and loaded), on time, and
-- how many landed rows passed validation.
with

feed_days as (

    select * from {{ ref('int_feed_days__scored') }}

),

final as (

    select
        dataset,
        area_code,
        region_code,
        period_start,
        count(*) as expected_feed_days,
        count(*) filter (where is_delivered) as delivered_feed_days,
        count(*) filter (where is_on_time) as on_time_feed_days,
        sum(quarantined_batches) as quarantined_batches,
        sum(failed_fetches) as failed_fetches,
        sum(rows_validated) as rows_validated,
        sum(rows_passed) as rows_passed
    from feed_days
    group by dataset, area_code, region_code, period_start

)

select * from final
