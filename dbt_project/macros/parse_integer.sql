{#- Published number text -> bigint: '12', ' 12 ', '1,234', '12.0' all parse;
    a null marker, text, or a number with a fractional part ('12.5') is null
    (never rounded), so the not_null tests downstream catch it. -#}
{% macro parse_integer(col) -%}
    {%- set as_double -%}
        try_cast(replace({{ clean_text(col) }}, ',', '') as double)
    {%- endset -%}
    (
        case
            when {{ as_double }} = trunc({{ as_double }})
                then cast({{ as_double }} as bigint)
        end
    )
{%- endmacro %}
