{#- ref() and source() render schema.table, without the catalog, for relations
    in the warehouse being built. DuckDB names a database after its file, so a
    view that says city.staging.x breaks in a copy saved under another name; a
    view that says staging.x binds inside whichever file holds it. -#}
{% macro ref() -%}
    {{ return(relation_without_catalog(builtins.ref(*varargs, **kwargs))) }}
{%- endmacro %}

{% macro source() -%}
    {{ return(relation_without_catalog(builtins.source(*varargs, **kwargs))) }}
{%- endmacro %}

{% macro relation_without_catalog(relation) -%}
    {%- if relation is not string and relation.database is defined
          and relation.database == target.database -%}
        {{ return(relation.include(database=false)) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
