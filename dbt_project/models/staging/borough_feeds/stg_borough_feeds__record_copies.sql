-- Where every copy of every borough feed record is: one row per landed row,
-- with its partition and its record key read as staging reads it. An
-- incremental staging model rereads only the partitions holding a copy of a
-- record it rebuilds (a record can be re-published on another day; the latest
-- copy wins). Incremental by partition: a night replaces the rows of the
-- partitions loaded since (macros/incremental_records.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='replace_records',
    unique_key=['dataset', 'partition_borough_code', 'data_day'],
) }}
{%- set refs = borough_feed_record_refs() %}

{% for dataset, ref_column in refs.items() -%}
    {%- if not loop.first %}
        union all
    {% endif -%}
    select
        '{{ dataset }}' as dataset,
        landed._borough_code as partition_borough_code,
        landed._data_day as data_day,
        landed._loaded_at as loaded_at,
        {{ clean_text('landed._borough_code') }} as area_code,
        {{ clean_text('landed.' ~ ref_column) }} as record_ref
    from {{ source('borough_feeds', dataset) }} as landed
    {%- if is_incremental() %}
        semi join {{ changed_partitions(dataset, "dataset = '" ~ dataset ~ "'") }}
            as changed
            on
                landed._borough_code = changed.borough_code
                and landed._data_day = changed.data_day
    {%- endif %}
{% endfor %}
{%- if is_incremental() %}
    {%- for dataset in refs %}
        union all by name
        select
            '{{ dataset }}' as dataset,
            changed.borough_code as partition_borough_code,
            changed.data_day,
            true as _replaces_record
        from {{ changed_partitions(dataset, "dataset = '" ~ dataset ~ "'") }}
            as changed
    {%- endfor %}
{%- endif %}
