-- name: aggregate_dimension_partition
-- description: Monthly sums of every indicator by each of its declared dimensions and each pair of them (and by none), from `indicator_dimension_month_events` (the records already summed per unit, month and value of every dimension, then repeated per dimension set); written per source partition to aggregates/indicator_dimension_monthly by target_monitor/aggregates.py, and the `indicator_dimension_monthly` view itself when the aggregates are stale (store.py).
-- grain: one row per indicator per dimension set per dimension value(s) per unit per year per event month per record month
with events as (
    select
        e.indicator,
        e.dimension,
        e.value,
        e.dimension2,
        e.value2,
        k.unit_key,
        e.year,
        -- the month the event counts in (the as-of cut) and the month its record is dated in
        -- (the explorer's month: a rate's registration month); equal for cumulative indicators
        e.event_month,
        e.record_month,
        e.num,
        e.den,
        e.records,
    from indicator_dimension_month_events as e
    join unit_keys as k on k.unit_code = e.unit_code
),

final as (
    select
        indicator,
        dimension,
        value,
        dimension2,
        value2,
        unit_key,
        year,
        event_month,
        record_month,
        cast(sum(cast(num as decimal(38, 6))) as double) as num,
        cast(sum(cast(den as decimal(38, 6))) as double) as den,
        cast(sum(records) as bigint) as records,
    from events
    group by indicator, dimension, value, dimension2, value2, unit_key, year, event_month, record_month
)

select * from final
