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

-- sums of DOUBLE as DECIMAL(38, 6): exact, so the same rows give the same figure in whatever order
-- the threads of DuckDB add them (a snapshot rebuilt from the same inputs is byte-identical)
final as (
    select
        indicator,
        unit_key,
        year,
        event_month,
        cast(sum(cast(num as decimal(38, 6))) as double) as num,
        cast(sum(cast(den as decimal(38, 6))) as double) as den,
        min(event_on) as first_event_on,
        max(event_on) as last_event_on,
        count(*) as event_count,
    from events
    group by indicator, unit_key, year, event_month
)

select * from final
order by indicator, unit_key, year, event_month
