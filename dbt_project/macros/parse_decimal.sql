{#- Published decimal text -> decimal(38, 6): '5.25', ' 5.25 ', '1,234,567.5',
    '12', '1e-05' (as JSON encoders write small floats) all parse, exactly,
    rounded half away from zero to 6 places; a null marker, text, '1,5' (not
    thousands), 'NaN', 'Infinity' or a number beyond decimal(38, 6) is null.
    Exact decimal keeps sums independent of the order rows are added in (a
    re-run gives the same bits). The layout is
    pipeline.borough_text.DECIMAL_TEXT. -#}
{% macro decimal_text_pattern() -%}
    '^[+-]?(([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$'
{%- endmacro %}

{% macro parse_decimal(col) -%}
    (
        case
            when regexp_matches({{ clean_text(col) }}, {{ decimal_text_pattern() }})
                then try_cast(replace({{ clean_text(col) }}, ',', '') as decimal(38, 6))
        end
    )
{%- endmacro %}
