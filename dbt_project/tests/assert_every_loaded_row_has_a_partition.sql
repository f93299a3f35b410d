-- Every landed row belongs to a partition listed in raw.feed_partitions:
-- coverage (and so every metric row) is decided from that table, so a row
-- outside it would silently not count.
with

rows_landed as (

    select distinct 'road_casualties' as dataset, _borough_code, _data_day
    from {{ source('borough_feeds', 'road_casualties') }}
    union
    select distinct 'housing_completions', _borough_code, _data_day
    from {{ source('borough_feeds', 'housing_completions') }}
    union
    select distinct 'service_requests', _borough_code, _data_day
    from {{ source('borough_feeds', 'service_requests') }}

),

partitions as (

    select * from {{ source('borough_feeds', 'feed_partitions') }}

),

final as (

    select rows_landed.*
    from rows_landed
    left join partitions
        on
            rows_landed.dataset = partitions.dataset
            and rows_landed._borough_code = partitions.borough_code
            and rows_landed._data_day = partitions.data_day
    where partitions.dataset is null

)

select * from final
