{#- Published number text -> bigint: '12', ' 12 ', '1,234', '12.0' all parse;
    a null marker, text, '1,5' (not thousands), '1e3', a number with a
    fractional part ('12.5') or beyond bigint is null (never rounded), so the
    not_null tests downstream catch it. The layout is
    pipeline.borough_text.INTEGER_TEXT. -#}
{% macro integer_text_pattern() -%}
    '^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.0*)?$'
{%- endmacro %}

{% macro parse_integer(col) -%}
    (
        case
            when regexp_matches({{ clean_text(col) }}, {{ integer_text_pattern() }})
                then try_cast(
                    regexp_replace({{ clean_text(col) }}, ',|\.0*$', '', 'g')
                    as bigint
                )
        end
    )
{%- endmacro %}
