"""One data directory opened for reading: its store, reference data and what years it covers.

Shared by the CLI and the Streamlit frame so both pick the same defaults (the latest year, the
latest date with data) and compute progress the same way.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from target_monitor.paths import reference_dir
from target_monitor.progress import monthly_series, progress_table
from target_monitor.reference import Reference, load_reference
from target_monitor.store import NoDataError, Store, data_version, is_demo, scoped_rows


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
            from target_monitor.access.scope import EVERYTHING, using

            with using(EVERYTHING):  # which years and days hold data: no unit's figure, shared by all
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

    def data_through(self) -> date | None:
        """The data's own date: the latest day with a record in any year (None without data).
        No figure may be stated as of a later day (`clamp_as_of`)."""
        if self.bounds().empty:
            return None
        last = self.bounds()["last_event_on"].max()
        return last.date() if hasattr(last, "date") else last

    def clamp_as_of(self, as_of: date) -> tuple[date, bool]:
        """(as-of date no later than the data, whether it was moved back)."""
        through = self.data_through()
        if through is not None and as_of > through:
            return through, True
        return as_of, False

    def last_reported(self, year: int) -> dict[str, int]:
        """Per unit that has targets in `year` (or, without targets, has any record): the last
        month with records, 0 for none. The district itself is not a reporting unit."""
        through = self.latest_day(year)
        reported = self.store.query("unit_months_reported", year=year, as_of=through)
        last: dict[str, int] = {}
        for code, month in zip(reported["unit_code"].tolist(), reported["month"].tolist()):
            last[code] = max(last.get(code, 0), int(month))
        root = self.ref.units.root().code
        targets = self.ref.targets
        expected = set(targets.loc[targets["year"] == year, "unit_code"]) or set(last)
        return {code: last.get(code, 0) for code in sorted(expected - {root})}

    def last_reported_by_extract(self, year: int, unit_code: str) -> dict[str, int]:
        """For one unit (its whole subtree): per extract, the last month of `year` with records of
        any of its indicators, up to the data's date. Extracts without a record are left out."""
        units = self.ref.units
        codes = units.subtree(unit_code)
        monthly = self.store.query("monthly_by_unit", first_year=year, last_year=year, as_of=self.latest_day(year),
                                   unit_codes=codes, shown_codes=[unit_code] * len(codes))
        extract_of = {ind.name: ind.extract for ind in self.registry.indicators}
        out: dict[str, int] = {}
        has = (monthly["numerator"].fillna(0) != 0) | (monthly["denominator"].fillna(0) != 0)
        for name, month in zip(monthly.loc[has, "indicator"].tolist(), monthly.loc[has, "month"].tolist()):
            ext = extract_of.get(name)
            if ext is not None:
                out[ext] = max(out.get(ext, 0), int(month))
        return out

    def default_as_of(self, year: int) -> date:
        """The default as-of date: the latest month end by which every unit (or the share set in
        rules.yaml `reported_share`) has sent a month of records, never later than the data.

        Four July rows from one unit do not move everyone to 11 July: the month is not reported
        until the units have reported it. Without any reporting unit: the latest day with data.
        """
        import calendar
        import math

        through = self.latest_day(year)
        months = sorted(self.last_reported(year).values(), reverse=True)
        if not months:
            return through
        share = self.ref.rules.reported_share
        month = months[max(0, math.ceil(share * len(months)) - 1)]
        if month == 0:
            return through
        end = date(year, month, calendar.monthrange(year, month)[1])
        if end > through:  # the month is still open in the data: the month before is the last complete one
            end = date(year, month, 1) - timedelta(days=1) if month > 1 else through
        return end

    def default_year(self) -> int:
        years = self.years()
        return years[-1] if years else date.today().year

    def progress(self, year: int, as_of: date, parent_code: str | None = None) -> pd.DataFrame:
        return scoped_rows(progress_table(self.store, self.ref, year, as_of, parent_code))

    def monthly(self, year: int, as_of: date, unit_codes=None, parent_code: str | None = None) -> pd.DataFrame:
        return scoped_rows(monthly_series(self.store, self.ref, year, as_of, unit_codes, parent_code))

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
