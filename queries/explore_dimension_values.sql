-- name: explore_dimension_values
-- description: The values one dimension of an indicator (a declared dimension, or unit_code) takes in the data (any year), from the per-dimension monthly aggregate; the explorer's filter offers them when the registry declares no values.
-- grain: one row per value
-- param: indicator VARCHAR the indicator
-- param: dimension VARCHAR one of its declared dimensions, or 'unit_code'
with final as (
    select distinct
        case when $dimension = 'unit_code' then k.unit_code else m.value end as value,
    from indicator_dimension_monthly as m
    join unit_keys as k on k.unit_key = m.unit_key
    where m.indicator = $indicator
      and m.dimension2 is null
      and (m.dimension = $dimension or ($dimension = 'unit_code' and m.dimension is null))
)

select * from final
where value is not null
order by value
