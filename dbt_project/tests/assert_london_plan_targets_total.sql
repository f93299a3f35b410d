-- Transcription check of seed reference_housing_targets: the London Plan 2021
-- Table 4.1 rows (33 boroughs and 2 development corporations) add up to the
-- plan's published total of 522,870 homes over ten years.
with

targets as (

    select * from {{ ref('reference_housing_targets') }}
    where source like 'London Plan 2021 Table 4.1%'

),

totals as (

    select
        count(*) as authorities,
        sum(ten_year_target) as ten_year_total,
        count(*) filter (where annual_target * 10 != ten_year_target)
            as bad_annual_targets
    from targets

),

final as (

    select * from totals
    where
        authorities != 35
        or ten_year_total != 522870
        or bad_annual_targets > 0

)

select * from final
