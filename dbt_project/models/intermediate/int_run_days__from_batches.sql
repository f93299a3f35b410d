-- The data days the pipeline ran for: every day with a batch of a daily
-- dataset in audit.batches (a monthly or quarterly batch is recorded under
-- its period's first day, which is no run day).
with

batches as (

    select * from {{ ref('stg_audit__batches') }}

),

datasets as (

    select * from {{ ref('stg_borough_feeds__datasets') }}

),

final as (

    select distinct
        batches.data_day,
        cast(date_trunc('month', batches.data_day) as date) as period_start
    from batches
    left join datasets
        on batches.dataset = datasets.dataset
    where coalesce(datasets.cadence, 'daily') = 'daily'

)

select * from final
