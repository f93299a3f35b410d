{#- Text as published -> text we can trust: every run of whitespace (tabs,
    newlines, non-breaking spaces) becomes one space, ends are trimmed, and the
    null markers of var('null_markers') (case-insensitive) become null. -#}
{% macro collapse_whitespace(col) -%}
    trim(regexp_replace(cast({{ col }} as varchar), '[\s\x{00a0}]+', ' ', 'g'))
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
