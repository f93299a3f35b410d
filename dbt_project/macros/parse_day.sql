{#- Published date text -> date, trying every layout of var('date_formats')
    ('2024-03-05', '05/03/2024', '2024-03-05T00:00:00.000',
    '2024-03-05T13:45:00'); null when none fits or a null marker. DuckDB's %Y
    also takes '24' as the year 24 where Python's needs four digits: a year
    before 1000 is no reading (pipeline.borough_text.TextReader.parse_day). -#}
{% macro parse_day(col) -%}
    {%- set parsed -%}
        cast(
            try_strptime(
                {{ clean_text(col) }},
                [
                    {%- for fmt in var('date_formats') -%}
                        '{{ fmt | replace("'", "''") }}'{% if not loop.last %}, {% endif %}
                    {%- endfor -%}
                ]
            ) as date
        )
    {%- endset -%}
    (case when year({{ parsed }}) >= 1000 then {{ parsed }} end)
{%- endmacro %}
