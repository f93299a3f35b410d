{#- The columns every borough feed record carries besides its own fields, for
    a staging model's renamed CTE: the borough whose feed delivered it, the
    borough its text names (as published and as a matching key), and its
    partition's data day, batch and load time. -#}
{% macro feed_record_columns() -%}
        ---------- partition and borough
        {{ clean_text('_borough_code') }} as area_code,
        {{ clean_text('_batch_id') }} as batch_id,
        {{ clean_text('borough') }} as reported_borough,
        {{ normalise_name('borough') }} as reported_borough_normalised,
        cast(_data_day as date) as data_day,
        cast(_loaded_at as timestamp) as loaded_at,
{%- endmacro %}
