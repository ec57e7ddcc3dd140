-- name: data_bounds
-- description: The first and last day with any record, per calendar year; drives the year picker and the default as-of date.
-- grain: one row per year
with final as (
    select
        cast(year(event_month) as integer) as year,
        min(first_event_on) as first_event_on,
        max(last_event_on) as last_event_on,
        sum(event_count) as event_count,
    from indicator_monthly
    group by year(event_month)
)

select * from final
order by year
