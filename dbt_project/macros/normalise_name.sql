{#- A name as a matching key: cleaned, lowercased. 'CITY  OF WESTMINSTER',
    ' city of westminster' and 'City of Westminster' all give
    'city of westminster'. Used on both sides of the borough alias join. -#}
{% macro normalise_name(col) -%}
    lower({{ clean_text(col) }})
{%- endmacro %}
