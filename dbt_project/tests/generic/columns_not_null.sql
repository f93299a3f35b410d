{#- Fails with one row per column of the model that holds nulls though the model's YAML
    declares it `constraints: [{type: not_null}]`: column_name and null_rows.

    Why one test per model, not dbt's not_null per column: a build ran 268 not_null tests,
    each a node with its own compile, query and events (about 8 of a night's 23 CPU-seconds
    of dbt on 2 cores); one scan per model checks the same columns and names the column
    that failed (pipeline/dbt_runner.py prints a failing test's rows). A constraint with a
    condition or a severity stays a not_null test on its column. -#}
{% test columns_not_null(model) %}
{%- set columns = [] -%}
{%- if execute -%}
    {%- set nodes = graph.nodes.values()
        | selectattr("resource_type", "in", ["model", "seed", "snapshot"])
        | selectattr("alias", "equalto", model.identifier)
        | selectattr("schema", "equalto", model.schema)
        | list -%}
    {%- for column in (nodes | first).columns.values() -%}
        {%- if column.constraints | selectattr("type", "equalto", "not_null") | list -%}
            {%- do columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error(
            "columns_not_null on " ~ model.identifier
            ~ ": no column of the model declares constraints: [{type: not_null}]") }}
    {%- endif -%}
{%- endif %}

with null_rows as (
    select
    {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null)
            as {{ adapter.quote(column) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
),

by_column as (
    unpivot null_rows on columns(*) into name column_name value null_rows
)

select
    column_name,
    null_rows
from by_column
where null_rows > 0

{% endtest %}
