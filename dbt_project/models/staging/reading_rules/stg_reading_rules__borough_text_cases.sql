-- The shape of a case of tests/fixtures/borough_text_cases.csv: text a
-- borough might publish, the reader (macro) to apply and the reading expected.
-- Empty in the warehouse: the unit test borough_text_cases fills it with the
-- cases (and tests/test_borough_text.py runs the same rows in Python).
select
    cast(null as varchar) as reader,
    cast(null as varchar) as text,
    cast(null as varchar) as reading,
    cast(null as varchar) as note
where false
