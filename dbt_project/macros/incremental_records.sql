{#- Incremental record models (staging tables of the borough feeds and their facts):
    a night rebuilds only the records whose raw partitions changed since the model was
    last built, so its cost follows the new data, not the history.

    What changed comes from raw.feed_partitions: the loader stamps every partition it
    (re)places with loaded_at, 0-row partitions included, so a partition loaded after the
    newest loaded_at already in the model is new or replaced (late data, a re-fetched
    day, a backfilled range). The records to rebuild are every (borough, record reference)
    found in those partitions now, plus every one the model holds from them: a record moved
    to another day, or deleted by a correction, is rebuilt too. Staging keeps the latest
    copy of a record across all of its partitions, so rebuilding by record (not by day)
    gives exactly the full-refresh result. An empty model rebuilds everything (its
    watermark is -infinity). A quarantined batch changes no partition, so nothing moves.
    Assumes the loader's clock does not go backwards and that raw rows change only through
    the loader (a row deleted by hand is not seen); `--full-refresh` rebuilds all. -#}

{#- The (borough_code, data_day) partitions of `dataset` loaded after the newest
    loaded_at in `this` (rows of `this` where `where`), as a subquery: those the loader
    stamped in raw.feed_partitions, and those holding a landed row stamped since (a row
    written by hand with a fresh _loaded_at counts too). -#}
{% macro changed_partitions(dataset, where='true') -%}
    (
        with watermark as (
            select coalesce(max(loaded_at), '-infinity'::timestamp) as loaded_at
            from {{ this }}
            where {{ where }}
        )

        select
            borough_code,
            data_day
        from {{ source('borough_feeds', 'feed_partitions') }}
        where
            dataset = '{{ dataset }}'
            and loaded_at > (select watermark.loaded_at from watermark)
        union
        select
            _borough_code as borough_code,
            _data_day as data_day
        from {{ source('borough_feeds', dataset) }}
        where _loaded_at > (select watermark.loaded_at from watermark)
    )
{%- endmacro %}

{#- The (area_code, record_ref) pairs to rebuild, as a subquery, for model `this`. -#}
{% macro records_to_rebuild(dataset, ref_column) -%}
    (
        with changed_partitions as {{ changed_partitions(dataset) }},

        keys as (
            select
                {{ clean_text('landed._borough_code') }} as area_code,
                {{ clean_text('landed.' ~ ref_column) }} as record_ref
            from {{ source('borough_feeds', dataset) }} as landed
            semi join changed_partitions
                on
                    landed._borough_code = changed_partitions.borough_code
                    and landed._data_day = changed_partitions.data_day
            union all
            select
                built.area_code,
                built.{{ ref_column }} as record_ref
            from {{ this }} as built
            semi join changed_partitions
                on
                    built.area_code = changed_partitions.borough_code
                    and built.data_day = changed_partitions.data_day
        )

        select distinct
            area_code,
            record_ref
        from keys
    )
{%- endmacro %}

{#- On an incremental run of a staging model, keep only the landed rows of the partitions
    that hold a copy of a record to rebuild (stg_borough_feeds__record_copies says where
    every copy is), so the text is read and the latest copy chosen for those alone. -#}
{% macro only_partitions_to_reread(dataset, ref_column, alias) -%}
    {%- if is_incremental() %}
    semi join (
        select distinct
            copies.partition_borough_code,
            copies.data_day
        from {{ ref('stg_borough_feeds__record_copies') }} as copies
        semi join {{ records_to_rebuild(dataset, ref_column) }} as rebuilt
            on
                copies.area_code = rebuilt.area_code
                and copies.record_ref is not distinct from rebuilt.record_ref
        where copies.dataset = '{{ dataset }}'
    ) as reread
        on
            {{ alias }}._borough_code = reread.partition_borough_code
            and {{ alias }}._data_day = reread.data_day
    {%- endif %}
{%- endmacro %}

{#- On an incremental run, keep only the rows of `alias` (its columns area_code and
    `ref_column` as staging cleaned them) whose records are rebuilt. -#}
{% macro only_records_to_rebuild(dataset, ref_column, alias) -%}
    {%- if is_incremental() %}
    semi join {{ records_to_rebuild(dataset, ref_column) }} as rebuilt
        on
            {{ alias }}.area_code = rebuilt.area_code
            and {{ alias }}.{{ ref_column }} is not distinct from rebuilt.record_ref
    {%- endif %}
{%- endmacro %}

{#- On an incremental run, one marker row per rebuilt record (its rows are replaced, and a
    record with no row left is deleted); the replace_records strategy reads and drops them. -#}
{% macro rebuilt_record_markers(dataset, ref_column) -%}
    {%- if is_incremental() %}
    union all by name
    select
        rebuilt.area_code,
        rebuilt.record_ref as {{ ref_column }},
        true as _replaces_record
    from {{ records_to_rebuild(dataset, ref_column) }} as rebuilt
    {%- endif %}
{%- endmacro %}

{#- Incremental strategy `replace_records`: delete the model's rows of every record the
    marker rows name, then insert the new rows (markers excluded), in dbt's transaction.
    unique_key is (area_code, <record ref>). -#}
{% macro get_incremental_replace_records_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as built
    where exists (
        select 1 from {{ source }} as markers
        where markers._replaces_record
        {%- for key in keys %}
            and markers.{{ key }} is not distinct from built.{{ key }}
        {%- endfor %}
    );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
    where _replaces_record is null
{%- endmacro %}
