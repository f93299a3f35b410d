-- The staging readers applied to each case: the reading as text (a day as
-- YYYY-MM-DD, a decimal without trailing zeros), null for no reading. One row
-- per case; the case's own expected reading is replaced by the computed one.
with

cases as (

    select * from {{ ref('stg_reading_rules__borough_text_cases') }}

),

read as (

    select
        reader,
        text,
        case reader
            when 'clean_text' then {{ clean_text('text') }}
            when 'normalise_name' then {{ normalise_name('text') }}
            when 'parse_day' then strftime({{ parse_day('text') }}, '%Y-%m-%d')
            when
                'parse_integer'
                then cast({{ parse_integer('text') }} as varchar)
            when 'parse_decimal' then regexp_replace(
                cast({{ parse_decimal('text') }} as varchar), '\.?0+$', ''
            )
        end as reading,
        note
    from cases

)

select * from read
