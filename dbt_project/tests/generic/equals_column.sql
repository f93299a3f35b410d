{#- Fails for every row where the column differs from `other_column`
    (a null on either side counts as a difference). -#}
{% test equals_column(model, column_name, other_column) %}

select *
from {{ model }}
where {{ column_name }} is distinct from {{ other_column }}

{% endtest %}
