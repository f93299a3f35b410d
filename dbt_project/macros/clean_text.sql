{#- Text as published -> text we can trust: every run of whitespace (ASCII
    whitespace and the no-break space; pipeline.borough_text.WHITESPACE is the
    same class) becomes one space, ends are trimmed, and the null markers of
    var('null_markers') (case-insensitive) become null. The cases both sides
    must read alike: tests/fixtures/borough_text_cases.csv. -#}
{% macro collapse_whitespace(col) -%}
    trim(regexp_replace(cast({{ col }} as varchar), '[\t\n\v\f\r \x{00a0}]+', ' ', 'g'))
{%- endmacro %}

{% macro clean_text(col) -%}
    (
        case
            when lower({{ collapse_whitespace(col) }}) in (
                {%- for marker in var('null_markers') -%}
                    '{{ marker | lower | replace("'", "''") }}'
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
            ) then null
            else {{ collapse_whitespace(col) }}
        end
    )
{%- endmacro %}
