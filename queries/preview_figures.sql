-- name: preview_figures
-- description: Each indicator's sums per unit over the records of one partition, before or after an upload (the store's views point at that partition's rows only); the import preview's figures before -> after (target_monitor/ingest/storage.py).
-- grain: one row per indicator per unit
select
    indicator,
    unit_code,
    sum(num) as num,
    sum(den) as den,
from indicator_events
group by indicator, unit_code
