{#- Region-wide sources (config/datasets.yml `source`): the loader keeps each
    borough's rows in that borough's partition and every non-borough row (the
    region's own total, Inner and Outer London) in the region's partition,
    under the region's code. These columns say which is which, for a staging
    model whose FROM has the raw source and a `region` relation (region_code,
    region_name, from stg_borough_feeds__areas):
      area_level = 'borough' | 'region' (the published region total) |
                   'part_of_region' (Inner London, Outer London...).
    `code_col` or `name_col` may be none (a file without that column). -#}
{% macro region_wide_area(code_col, name_col) -%}
        {{ clean_text('_borough_code') }} as area_code,
        {% if code_col %}{{ clean_text(code_col) }}{% else %}cast(null as varchar){% endif %}
            as reported_area_code,
        {% if name_col %}{{ clean_text(name_col) }}{% else %}region.region_name{% endif %}
            as reported_area_name,
        case
            when {{ clean_text('_borough_code') }} <> region.region_code then 'borough'
            {% if code_col -%}
            when {{ clean_text(code_col) }} = region.region_code then 'region'
            {% endif -%}
            {% if name_col -%}
            when {{ normalise_name(name_col) }} = lower(region.region_name) then 'region'
            {%- else -%}
            when true then 'region'
            {%- endif %}
            else 'part_of_region'
        end as area_level,
        cast(_data_day as date) as period_start,
        {{ clean_text('_batch_id') }} as batch_id,
        cast(_loaded_at as timestamp) as loaded_at,
{%- endmacro %}

{#- The region's code and name, once: the FROM side of region_wide_area. -#}
{% macro region_relation() -%}
    select distinct region_code, region_name from {{ ref('stg_borough_feeds__areas') }}
{%- endmacro %}
