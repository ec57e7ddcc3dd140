-- name: aggregate_partition
-- description: Monthly sums of the events of one source partition (the store's views point at that partition only); written to aggregates/indicator_monthly by target_monitor/aggregates.py.
-- grain: one row per indicator per unit per year per event month
with events as (
    select
        e.indicator,
        k.unit_key,
        e.year,
        cast(date_trunc('month', e.event_on) as date) as event_month,
        e.event_on,
        e.num,
        e.den,
    from indicator_events as e
    join unit_keys as k on k.unit_code = e.unit_code
),

final as (
    select
        indicator,
        unit_key,
        year,
        event_month,
        sum(num) as num,
        sum(den) as den,
        min(event_on) as first_event_on,
        max(event_on) as last_event_on,
        count(*) as event_count,
    from events
    group by indicator, unit_key, year, event_month
)

select * from final
order by indicator, unit_key, year, event_month
