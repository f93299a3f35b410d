{#- One row per borough and record reference, the latest load winning (a record
    re-published in a later batch replaces the earlier copy), with the borough the record
    names resolved through the alias list: reported_area_code is null when no known
    spelling matches, which the staging tests catch. Aliases are unique per normalised
    spelling, so the join never multiplies rows. -#}
{% macro latest_with_reported_area(records, aliases, key) -%}
    select
        {{ records }}.*,
        {{ aliases }}.area_code as reported_area_code
    from {{ records }}
    left join {{ aliases }}
        on {{ records }}.reported_borough_normalised = {{ aliases }}.alias_normalised
    qualify row_number() over (
        partition by {{ records }}.area_code, {{ records }}.{{ key }}
        order by
            {{ records }}.loaded_at desc,
            {{ records }}.data_day desc,
            {{ records }}.batch_id desc
    ) = 1
{%- endmacro %}
