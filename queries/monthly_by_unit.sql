-- name: monthly_by_unit
-- description: Monthly sums of every indicator for every unit, for a range of years, up to the as-of date; feeds the trend charts and the year-end projection profile.
-- grain: one row per unit per indicator per year per month
-- param: first_year INTEGER the first year included
-- param: last_year INTEGER the last year included
-- param: as_of DATE events after this day are not counted
with events as (
    select
        indicator,
        unit_code,
        year,
        cast(month(event_on) as integer) as month,
        num,
        den,
    from indicator_events
    where year between $first_year and $last_year
      -- a rate's cohort can succeed after its year ends; the monthly view stays inside the year
      and year(event_on) = year
      and event_on <= $as_of
),

final as (
    select
        unit_code,
        indicator,
        year,
        month,
        sum(num) as numerator,
        sum(den) as denominator,
    from events
    group by unit_code, indicator, year, month
)

select * from final
order by unit_code, indicator, year, month
