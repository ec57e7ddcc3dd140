-- name: console_monthly
-- description: Monthly aggregates of every indicator for every unit and year, without parameters; the `monthly` view of the SQL console (sandbox.py).
-- grain: one row per unit per indicator per year per month
with events as (
    select
        unit_code,
        indicator,
        year,
        cast(month(event_on) as integer) as month,
        num,
        den,
    from indicator_events
),

final as (
    select
        unit_code,
        indicator,
        year,
        month,
        cast(sum(cast(num as decimal(38, 6))) as double) as numerator,
        cast(sum(cast(den as decimal(38, 6))) as double) as denominator,
    from events
    group by unit_code, indicator, year, month
)

select * from final
order by unit_code, indicator, year, month
