{#- Descriptions as DuckDB comments (+persist_docs), at half dbt-duckdb's cost per relation.

    dbt's default reads the relation's columns, then dbt-duckdb's alter_column_comment
    reads them again, and the relation's comment and the columns' go as two statements:
    here the columns are read once and every comment is one statement. On an incremental
    night (selectors.yml incremental_night) an incremental model's table is the one the
    last build commented, updated in place: its comments stand, nothing is written. -#}
{% macro duckdb__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if model.config.materialized == "incremental"
          and invocation_args_dict.get("selector") == "incremental_night" -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set statements = [] -%}
    {%- if for_relation and config.persist_relation_docs() and model.description -%}
        {%- do statements.append(alter_relation_comment(relation, model.description)) -%}
    {%- endif -%}
    {%- if for_columns and config.persist_column_docs() and model.columns -%}
        {%- set existing = adapter.get_columns_in_relation(relation)
            | map(attribute="name") | list -%}
        {%- set documented = validate_doc_columns(relation, model.columns, existing) -%}
        {%- for name, column in documented.items() -%}
            {%- set quoted = adapter.quote(name) if column["quote"] else name -%}
            {%- do statements.append(
                "comment on column " ~ relation ~ "." ~ quoted ~ " is "
                ~ duckdb_escape_comment(column["description"]) ~ ";") -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do run_query(statements | join("\n")) -%}
    {%- endif -%}
{%- endmacro %}
