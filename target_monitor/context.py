"""One data directory opened for reading: its store, reference data and what years it covers.

Shared by the CLI and the Streamlit frame so both pick the same defaults (the latest year, the
latest date with data) and compute progress the same way.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from target_monitor.paths import reference_dir
from target_monitor.progress import monthly_series, progress_table
from target_monitor.reference import Reference, load_reference
from target_monitor.store import NoDataError, Store, data_version, is_demo


class Context:
    def __init__(self, data_dir: Path, *, require_data: bool = True, aggregates: bool | None = None,
                 version: str | None = None, store_versions: dict[str, int] | None = None):
        """version: the data version when the caller has just computed it (the Streamlit cache key).
        store_versions: {extract: table version} to read (a snapshot rebuilt from its versions)."""
        self.data_dir = Path(data_dir).resolve()
        self.version = version or data_version(self.data_dir)
        self.store = Store(self.data_dir, aggregates=aggregates, versions=store_versions)
        if require_data and not self.store.has_data:
            raise NoDataError(str(self.data_dir))
        self.ref: Reference = load_reference(reference_dir(self.data_dir))
        self.is_demo = is_demo(self.data_dir)
        self._bounds: pd.DataFrame | None = None

    @property
    def registry(self):
        return self.store.registry

    def bounds(self) -> pd.DataFrame:
        """year, first_event_on, last_event_on, event_count: one row per year with data."""
        if self._bounds is None:
            self._bounds = self.store.query("data_bounds")
        return self._bounds

    def years(self) -> list[int]:
        return [int(y) for y in self.bounds()["year"]]

    def latest_day(self, year: int) -> date:
        """The latest date with data in `year` (31 December when the year is complete)."""
        row = self.bounds()[self.bounds()["year"] == year]
        if row.empty:
            return date(year, 12, 31)
        last = row["last_event_on"].iloc[0]
        return last.date() if hasattr(last, "date") else last

    def default_year(self) -> int:
        years = self.years()
        return years[-1] if years else date.today().year

    def progress(self, year: int, as_of: date, parent_code: str | None = None) -> pd.DataFrame:
        return progress_table(self.store, self.ref, year, as_of, parent_code)

    def monthly(self, year: int, as_of: date, unit_codes=None, parent_code: str | None = None) -> pd.DataFrame:
        return monthly_series(self.store, self.ref, year, as_of, unit_codes, parent_code)

    def has_targets(self, year: int) -> bool:
        return bool((self.ref.targets["year"] == year).any())

    def missing_months(self, year: int, as_of: date) -> dict[str, list[int]]:
        """Months (before the as-of month's end) in which a unit that has targets sent no records."""
        reported = self.store.query("unit_months_reported", year=year, as_of=as_of)
        have = {(r.unit_code, int(r.month)) for r in reported.itertuples(index=False)}
        last_full = as_of.month if self.latest_day(year) >= as_of else as_of.month - 1
        units_with_targets = set(self.ref.targets.loc[self.ref.targets["year"] == year, "unit_code"])
        root = self.ref.units.root().code
        out: dict[str, list[int]] = {}
        for code in sorted(units_with_targets - {root}):
            months = [m for m in range(1, last_full + 1) if (code, m) not in have]
            if months:
                out[code] = months
        return out
