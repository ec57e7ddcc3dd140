-- name: explore_pivot
-- description: The explorer's pivot of one indicator by up to two of unit, month and its declared dimensions, with totals from GROUPING SETS (a rate's total is the pooled rate): closed months from the per-dimension monthly aggregate, the as-of month from the records (as actuals_as_of does).
-- grain: one row per cell of the pivot, per row total, per column total and one grand total
-- param: indicator VARCHAR the indicator
-- param: rate BOOLEAN true for a rate (value = 100 × num / den), false for a cumulative indicator (value = num)
-- param: year INTEGER the year counted (for rates: the cohort year)
-- param: as_of DATE the last day counted
-- param: dimension VARCHAR the first declared dimension the pivot uses (as rows, columns or filter), in declared order; NULL for none
-- param: dimension2 VARCHAR the second one; NULL for none
-- param: rows VARCHAR what the rows are: 'unit_code', 'month', 'value' (of dimension), 'value2' (of dimension2), or NULL for none
-- param: columns VARCHAR what the columns are, as rows
-- param: units VARCHAR[] the units counted (their own records, no rollup); NULL: every unit
-- param: accepted VARCHAR[] the values of dimension counted; NULL: every value
-- param: accepted2 VARCHAR[] the values of dimension2 counted; NULL: every value
-- param: months INTEGER[] the months (1-12, of the record's date) counted; NULL: every month
with chosen_units as (
    select
        unit_key,
        unit_code,
    from unit_keys
    where $units is null or list_contains($units, unit_code)
),

closed_months as (
    select
        unit_key,
        value,
        value2,
        record_month,
        num,
        den,
        records,
    from indicator_dimension_monthly
    where indicator = $indicator
      and dimension is not distinct from $dimension
      and dimension2 is not distinct from $dimension2
      and year = $year
      and event_month < cast(date_trunc('month', $as_of + interval 1 day) as date)
),

open_month as (
    -- the month in progress is cut at the as-of day, so it is read from the records
    select
        k.unit_key,
        e.value,
        e.value2,
        cast(date_trunc('month', e.record_on) as date) as record_month,
        e.num,
        e.den,
        e.records,
    from indicator_dimension_events as e
    join unit_keys as k on k.unit_code = e.unit_code
    where e.indicator = $indicator
      and e.dimension is not distinct from $dimension
      and e.dimension2 is not distinct from $dimension2
      and e.year = $year
      and e.event_on >= cast(date_trunc('month', $as_of + interval 1 day) as date)
      and e.event_on <= $as_of
      -- constant: false when the as-of date is a month end, so the records are not even opened
      and cast(date_trunc('month', $as_of + interval 1 day) as date) <= $as_of
),

counted as (
    select
        u.unit_code,
        cast(month(m.record_month) as integer) as month,
        m.value,
        m.value2,
        m.num,
        m.den,
        m.records,
    from (select * from closed_months union all select * from open_month) as m
    join chosen_units as u on u.unit_key = m.unit_key
    where ($accepted is null or list_contains($accepted, m.value))
      and ($accepted2 is null or list_contains($accepted2, m.value2))
      and ($months is null or list_contains($months, cast(month(m.record_month) as integer)))
),

cells as (
    select
        case $rows
            when 'unit_code' then unit_code
            when 'month' then cast(month as varchar)
            when 'value' then value
            when 'value2' then value2
        end as r,
        case $columns
            when 'unit_code' then unit_code
            when 'month' then cast(month as varchar)
            when 'value' then value
            when 'value2' then value2
        end as c,
        num,
        den,
        records,
    from counted
),

totals as (
    select
        r,
        c,
        case when $rate then 100.0 * cast(sum(cast(num as decimal(38, 6))) as double) / nullif(cast(sum(cast(den as decimal(38, 6))) as double), 0) else cast(sum(cast(num as decimal(38, 6))) as double) end as value,
        cast(coalesce(sum(records), 0) as bigint) as records,
        grouping(r) = 1 as total_r,
        grouping(c) = 1 as total_c,
    from cells
    group by cube (r, c)
),

final as (
    -- an axis not chosen is constant: keep only its total
    select * from totals
    where ($rows is not null or total_r)
      and ($columns is not null or total_c)
)

select * from final
