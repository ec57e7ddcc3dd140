-- name: actuals_as_of
-- description: Actual of every indicator for every shown unit, from 1 January (or the cohort's start) to the as-of date: closed months (up to the as-of date's month, or including it when the as-of date is a month end) from the monthly aggregate, the rest of the month from the records.
-- grain: one row per shown unit per indicator
-- param: year INTEGER the target year (for rates: the cohort year)
-- param: unit_codes VARCHAR[] the units counted (a subtree)
-- param: shown_codes VARCHAR[] for each of unit_codes, the unit it is shown under (rolled up to)
-- param: as_of DATE the last day counted
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
        num,
        den,
        event_count,
        last_event_on,
    from indicator_monthly
    where year = $year
      and event_month < cast(date_trunc('month', $as_of + interval 1 day) as date)
),

open_month as (
    -- the month in progress is cut at the as-of day, so it is read from the records
    select
        k.unit_key,
        e.indicator,
        e.num,
        e.den,
        1 as event_count,
        e.event_on as last_event_on,
    from indicator_events as e
    join unit_keys as k on k.unit_code = e.unit_code
    where e.year = $year
      and e.event_on >= cast(date_trunc('month', $as_of + interval 1 day) as date)
      and e.event_on <= $as_of
),

-- sums of DOUBLE as DECIMAL(38, 6): exact, so the same rows give the same figure in whatever order
-- the threads of DuckDB add them (a snapshot rebuilt from the same inputs is byte-identical)
final as (
    select
        u.shown_code as unit_code,
        e.indicator,
        cast(sum(cast(e.num as decimal(38, 6))) as double) as numerator,
        cast(sum(cast(e.den as decimal(38, 6))) as double) as denominator,
        sum(e.event_count) as event_count,
        max(e.last_event_on) as last_event_on,
    from (select * from closed_months union all select * from open_month) as e
    join shown_under as u on u.unit_key = e.unit_key
    group by u.shown_code, e.indicator
)

select * from final
order by unit_code, indicator
