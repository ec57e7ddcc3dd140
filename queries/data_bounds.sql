-- name: data_bounds
-- description: The first and last day with any record, per calendar year; drives the year picker and the default as-of date.
-- grain: one row per year
with final as (
    select
        cast(year(event_on) as integer) as year,
        min(event_on) as first_event_on,
        max(event_on) as last_event_on,
        count(*) as event_count,
    from indicator_events
    group by year(event_on)
)

select * from final
order by year
