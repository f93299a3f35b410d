{#- Schemas are exactly the names given in dbt_project.yml (staging,
    intermediate, analytics, reference): no target prefix, so analysts always
    query analytics.city_metrics whichever target built it. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
