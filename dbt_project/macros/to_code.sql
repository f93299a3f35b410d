{#- A published category label -> snake_case code: 'Social rent' ->
    'social_rent', 'Fly-tipping' -> 'fly_tipping', 'In person' -> 'in_person'.
    Any letter case is accepted; an unknown label becomes an unknown code that
    the accepted_values test on the column rejects. -#}
{% macro to_code(col) -%}
    trim(
        regexp_replace(lower({{ clean_text(col) }}), '[^a-z0-9]+', '_', 'g'),
        '_'
    )
{%- endmacro %}
