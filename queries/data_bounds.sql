-- name: data_bounds
-- description: The first and last day with any record, per calendar year; drives the year picker and the default as-of date. Reads year_bounds_parts: a few precomputed rows per aggregate file when the aggregates are fresh, else every monthly row.
-- grain: one row per year
with final as (
    select
        year,
        min(first_event_on) as first_event_on,
        max(last_event_on) as last_event_on,
        sum(event_count) as event_count,
    from year_bounds_parts
    group by year
)

select * from final
order by year
