{#- Published decimal text -> decimal(38, 6): '5.25', ' 5.25 ', '1,234,567.5',
    '12' all parse; a null marker or text is null. Read through double so that
    any number layout a JSON encoder writes ('1e-05') parses too; exact decimal
    keeps sums independent of the order rows are added in (a re-run gives the
    same bits). -#}
{% macro parse_decimal(col) -%}
    cast(
        try_cast(replace({{ clean_text(col) }}, ',', '') as double)
        as decimal(38, 6)
    )
{%- endmacro %}
