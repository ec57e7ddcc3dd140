-- name: snapshot_facts
-- description: The aggregated facts a monthly snapshot freezes: every indicator's events summed per unit and day, for the target year and the year before (last year's figures feed the comparison and the projection), up to the as-of date.
-- grain: one row per indicator per unit per year per event day
-- param: first_year INTEGER the first (cohort) year frozen
-- param: last_year INTEGER the last (cohort) year frozen
-- param: as_of DATE the snapshot's as-of date: later events are not frozen
with events as (
    select
        indicator,
        unit_code,
        year,
        event_on,
        num,
        den,
    from indicator_events
    where year between $first_year and $last_year
      and event_on <= $as_of
),

-- sums of DOUBLE as DECIMAL(38, 6): exact, so the same rows give the same figure in whatever order
-- the threads of DuckDB add them (a snapshot rebuilt from the same inputs is byte-identical)
final as (
    select
        indicator,
        unit_code,
        year,
        event_on,
        cast(sum(cast(num as decimal(38, 6))) as double) as num,
        cast(sum(cast(den as decimal(38, 6))) as double) as den,
        count(*) as event_count,
    from events
    group by indicator, unit_code, year, event_on
)

select * from final
order by indicator, unit_code, year, event_on
