{{ config(severity='warn') }}
-- raw.feed_partitions.row_count equals the rows actually landed for the
-- partition (a mismatch means a partial or duplicated load).
with

rows_landed as (

    {% for dataset in borough_feed_datasets() %}
        select
            '{{ dataset }}' as dataset,
            _borough_code,
            _data_day,
            count(*) as n
        from {{ source('borough_feeds', dataset) }}
        group by all
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

partitions as (

    select * from {{ source('borough_feeds', 'feed_partitions') }}

),

final as (

    select
        partitions.dataset,
        partitions.borough_code,
        partitions.data_day,
        partitions.row_count,
        coalesce(rows_landed.n, 0) as rows_found
    from partitions
    left join rows_landed
        on
            partitions.dataset = rows_landed.dataset
            and partitions.borough_code = rows_landed._borough_code
            and partitions.data_day = rows_landed._data_day
    where partitions.row_count is distinct from coalesce(rows_landed.n, 0)

)

select * from final
