{#- Fails for every combination of `columns` that occurs more than once
    (dbt_utils.unique_combination_of_columns, which we cannot install). -#}
{% test unique_combination(model, columns) %}

with

grouped as (

    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1

)

select * from grouped

{% endtest %}
