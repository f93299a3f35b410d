-- Every landed row belongs to a partition listed in raw.feed_partitions:
-- coverage (and so every metric row) is decided from that table, so a row
-- outside it would silently not count.
with

rows_landed as (

    {% for dataset in borough_feed_datasets() %}
        select distinct '{{ dataset }}' as dataset, _borough_code, _data_day
        from {{ source('borough_feeds', dataset) }}
        {% if not loop.last %}union{% endif %}
    {% endfor %}

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
