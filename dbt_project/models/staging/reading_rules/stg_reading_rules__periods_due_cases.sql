-- The shape of a case of tests/fixtures/periods_due_cases.csv: a night, a
-- dataset's cadence, lag_days and history_periods, and the first days of the
-- periods due (space-separated, oldest first). Empty in the warehouse: the
-- unit test periods_due_cases fills it (tests/test_periods_due.py runs the
-- same rows through ingest.periods.periods_due).
select
    cast(null as date) as night,
    cast(null as varchar) as cadence,
    cast(null as integer) as lag_days,
    cast(null as integer) as history_periods,
    cast(null as varchar) as periods,
    cast(null as varchar) as note
where false
