{#- Published date text -> date, trying every layout of var('date_formats')
    ('2024-03-05', '05/03/2024', '2024-03-05T00:00:00.000',
    '2024-03-05T13:45:00'); null when none fits or a null marker. -#}
{% macro parse_day(col) -%}
    cast(
        try_strptime(
            {{ clean_text(col) }},
            [
                {%- for fmt in var('date_formats') -%}
                    '{{ fmt }}'{% if not loop.last %}, {% endif %}
                {%- endfor -%}
            ]
        ) as date
    )
{%- endmacro %}
