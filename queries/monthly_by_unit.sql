-- name: monthly_by_unit
-- description: Monthly sums of every indicator for every unit, for a range of years, up to the as-of date (closed months from the monthly aggregate, the as-of month from the raw rows); feeds the trend charts and the year-end projection profile.
-- grain: one row per shown unit per indicator per year per month
-- param: first_year INTEGER the first year included
-- param: last_year INTEGER the last year included
-- param: unit_codes VARCHAR[] the units counted (a subtree)
-- param: shown_codes VARCHAR[] for each of unit_codes, the unit it is shown under (rolled up to)
-- param: as_of DATE events after this day are not counted
-- records: open month of $as_of
with shown_under as (
    -- the rollup happens here, not in Python: a national tree has 6,000 leaves under 30 provinces
    select
        k.unit_key,
        m.shown_code,
    from (select unnest($unit_codes) as unit_code, unnest($shown_codes) as shown_code) as m
    join unit_keys as k on k.unit_code = m.unit_code
),

closed_months as (
    select
        unit_key,
        indicator,
        year,
        cast(month(event_month) as integer) as month,
        num,
        den,
    from indicator_monthly
    where year between $first_year and $last_year
      -- a rate's cohort can succeed after its year ends; the monthly view stays inside the year
      and year(event_month) = year
      and event_month < cast(date_trunc('month', $as_of + interval 1 day) as date)
),

open_month as (
    select
        k.unit_key,
        e.indicator,
        e.year,
        cast(month(e.event_on) as integer) as month,
        e.num,
        e.den,
    from indicator_events as e
    join unit_keys as k on k.unit_code = e.unit_code
    where e.year between $first_year and $last_year
      and year(e.event_on) = e.year
      and e.event_on >= cast(date_trunc('month', $as_of + interval 1 day) as date)
      and e.event_on <= $as_of
),

-- sums of DOUBLE as DECIMAL(38, 6): exact, so the same rows give the same figure in whatever order
-- the threads of DuckDB add them (a snapshot rebuilt from the same inputs is byte-identical)
final as (
    select
        u.shown_code as unit_code,
        e.indicator,
        e.year,
        e.month,
        cast(sum(cast(e.num as decimal(38, 6))) as double) as numerator,
        cast(sum(cast(e.den as decimal(38, 6))) as double) as denominator,
    from (select * from closed_months union all select * from open_month) as e
    join shown_under as u on u.unit_key = e.unit_key
    group by u.shown_code, e.indicator, e.year, e.month
)

select * from final
order by unit_code, indicator, year, month
