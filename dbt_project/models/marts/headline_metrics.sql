-- The headline: one row per metric and region, in the period a reader should
-- see. The rolling window where the metric has one (KSI: 12 months),
-- otherwise its month or quarter; of those, the latest with all its days
-- delivered, else the latest at all, labelled with the days it covers
-- ('1–3 Mar 2024, 3 of 31 days'). The region value is city_metrics'; the
-- boroughs are ranked only on a count of events large enough to mean
-- something (seed metric_publication.min_count_to_rank on rank_count, in
-- either direction: net homes can be negative), and
-- only as best / worst where the metric's direction is a judgement
-- (has_better_direction), else as highest / lowest. Fewer than two boroughs
-- left to rank: no ranking. The boroughs missing from the region value are
-- named.
with

cells as (

    select * from {{ ref('open_data_city_metrics') }}

),

metrics as (

    select * from {{ ref('dim_metrics') }}

),

areas as (

    select * from {{ ref('dim_areas') }}

),

region_periods as (

    select
        *,
        period_type like 'rolling_%' as is_rolling,
        cast(date_diff('day', period_start, period_end) + 1 as bigint)
            as days_in_period
    from cells
    where area_type = 'region'

),

chosen as (

    select *
    from region_periods
    qualify
        row_number() over (
            partition by metric_id, area_code
            order by
                is_rolling desc,
                is_period_complete desc,
                period_end desc,
                period_start desc
        ) = 1

),

borough_values as (

    select
        chosen.metric_id,
        chosen.area_code as region_code,
        areas.area_name,
        cells.value,
        chosen.min_count_to_rank is null
        or coalesce(abs(cells.rank_count) >= chosen.min_count_to_rank, false)
            as is_rankable
    from chosen
    inner join cells
        on
            chosen.metric_id = cells.metric_id
            and chosen.period_type = cells.period_type
            and chosen.period_start = cells.period_start
    inner join areas
        on
            cells.area_code = areas.area_code
            and chosen.area_code = areas.region_code
    where cells.area_type = 'borough' and cells.value is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by metric_id, region_code
            order by value desc, area_name asc
        ) as highest_rank,
        row_number() over (
            partition by metric_id, region_code
            order by value asc, area_name asc
        ) as lowest_rank
    from borough_values
    where is_rankable

),

ranking as (

    select
        borough_values.metric_id,
        borough_values.region_code,
        count(*) filter (where borough_values.is_rankable) as boroughs_ranked,
        count(*) filter (where not borough_values.is_rankable)
            as boroughs_too_small_to_rank,
        any_value(ranked.area_name) filter (where ranked.highest_rank = 1)
            as highest_area,
        any_value(ranked.value) filter (where ranked.highest_rank = 1)
            as highest_value,
        any_value(ranked.area_name) filter (where ranked.lowest_rank = 1)
            as lowest_area,
        any_value(ranked.value) filter (where ranked.lowest_rank = 1)
            as lowest_value
    from borough_values
    left join ranked
        on
            borough_values.metric_id = ranked.metric_id
            and borough_values.region_code = ranked.region_code
            and borough_values.area_name = ranked.area_name
    group by borough_values.metric_id, borough_values.region_code

),

labelled as (

    select
        chosen.*,
        case
            when chosen.is_rolling
                then
                    metrics.rolling_months || ' months to '
                    || strftime(chosen.period_end, '%B %Y')
            when chosen.period_type = 'quarter'
                then
                    'Q' || quarter(chosen.period_start) || ' '
                    || year(chosen.period_start)
            when chosen.is_period_complete or chosen.first_data_day is null
                then strftime(chosen.period_start, '%B %Y')
            when chosen.first_data_day = chosen.last_data_day
                then strftime(chosen.first_data_day, '%-d %b %Y')
            else
                strftime(chosen.first_data_day, '%-d') || '–'
                || strftime(chosen.last_data_day, '%-d %b %Y')
        end as period_name
    from chosen
    inner join metrics
        on chosen.metric_id = metrics.metric_id

),

headline as (

    select
        labelled.metric_id,
        labelled.metric_name,
        labelled.domain,
        labelled.unit,
        labelled.direction,
        labelled.has_better_direction,
        labelled.target,
        labelled.area_code,
        labelled.area_name,
        labelled.period_type,
        labelled.period_start,
        labelled.period_end,
        labelled.days_in_period,
        labelled.days_covered,
        labelled.is_period_complete,
        labelled.last_data_day,
        case
            when labelled.is_period_complete then labelled.period_name
            else
                labelled.period_name || ', ' || labelled.days_covered
                || ' of ' || labelled.days_in_period || ' days'
        end as period_label,
        labelled.value,
        labelled.change_vs_last_year,
        case
            when labelled.change_vs_last_year is null then null
            when labelled.change_vs_last_year = 0 then 'unchanged'
            when not labelled.has_better_direction
                then
                    case
                        when labelled.change_vs_last_year > 0 then 'up'
                        else 'down'
                    end
            when
                (labelled.change_vs_last_year > 0)
                = (labelled.direction = 'higher_is_better')
                then 'better'
            else 'worse'
        end as change_judgement,
        labelled.boroughs_covered,
        labelled.boroughs_expected,
        labelled.missing_boroughs,
        labelled.min_count_to_rank,
        coalesce(ranking.boroughs_ranked, 0) as boroughs_ranked,
        coalesce(ranking.boroughs_too_small_to_rank, 0)
            as boroughs_too_small_to_rank,
        case
            when coalesce(ranking.boroughs_ranked, 0) < 2 then 'not_ranked'
            when labelled.has_better_direction then 'best_worst'
            else 'highest_lowest'
        end as ranking,
        coalesce(ranking.boroughs_ranked, 0) >= 2 as is_ranking_meaningful,
        case when ranking.boroughs_ranked >= 2 then ranking.highest_area end
            as highest_area,
        case when ranking.boroughs_ranked >= 2 then ranking.highest_value end
            as highest_value,
        case when ranking.boroughs_ranked >= 2 then ranking.lowest_area end
            as lowest_area,
        case when ranking.boroughs_ranked >= 2 then ranking.lowest_value end
            as lowest_value
    from labelled
    left join ranking
        on
            labelled.metric_id = ranking.metric_id
            and labelled.area_code = ranking.region_code

),

final as (

    select
        *,
        case
            when ranking = 'best_worst' and direction = 'higher_is_better'
                then highest_area
            when ranking = 'best_worst' then lowest_area
        end as best_area,
        case
            when ranking = 'best_worst' and direction = 'higher_is_better'
                then highest_value
            when ranking = 'best_worst' then lowest_value
        end as best_value,
        case
            when ranking = 'best_worst' and direction = 'higher_is_better'
                then lowest_area
            when ranking = 'best_worst' then highest_area
        end as worst_area,
        case
            when ranking = 'best_worst' and direction = 'higher_is_better'
                then lowest_value
            when ranking = 'best_worst' then highest_value
        end as worst_value
    from headline

)

select * from final
