-- name: actuals_as_of
-- description: Actual of every indicator for every unit that has records, from 1 January (or the cohort's start) to the as-of date.
-- grain: one row per unit per indicator
-- param: year INTEGER the target year (for rates: the cohort year)
-- param: as_of DATE the last day counted
with events as (
    select
        indicator,
        unit_code,
        num,
        den,
        event_on,
    from indicator_events
    where year = $year
      and event_on <= $as_of
),

final as (
    select
        unit_code,
        indicator,
        sum(num) as numerator,
        sum(den) as denominator,
        count(*) as event_count,
        max(event_on) as last_event_on,
    from events
    group by unit_code, indicator
)

select * from final
order by unit_code, indicator
