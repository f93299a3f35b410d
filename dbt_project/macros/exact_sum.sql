{#- Sum of a double column as an exact decimal, back to double: a double sum
    depends on the order DuckDB's threads add rows in, and a re-run must give
    the same bits. `condition` (optional) filters the rows summed. -#}
{% macro exact_sum(col, condition=none) -%}
    cast(
        sum(cast({{ col }} as decimal(38, 12)))
        {%- if condition %} filter (where {{ condition }}){% endif %}
        as double
    )
{%- endmacro %}
