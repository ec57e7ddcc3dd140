"""Scope: which units' data a read may return, held for the current thread of work.

The store reads `current()` below every query (store.py: `Store.cursor`, `Store.query`); the
frame sets it for each rerun of a session, the CLI once per command, a test fixture for the
library's tests. Nothing sets it -> None -> every read returns no rows (fail closed).

Two sets, because a clerk may see other units' aggregate figures (comparison, ranking) but
never their records:
- `record_units`: whose records (row-level, personal data) may be read; None = every unit.
- `figure_units`: whose figures (progress rows, monthly sums) may be shown; None = every unit.
An empty frozenset means none.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    record_units: frozenset[str] | None
    figure_units: frozenset[str] | None
    who: str = ""  # for messages and the audit line only

    @property
    def all_records(self) -> bool:
        return self.record_units is None

    @property
    def all_figures(self) -> bool:
        return self.figure_units is None

    def may_read_records(self, unit_code: str) -> bool:
        return self.record_units is None or unit_code in self.record_units

    def may_see_figures(self, unit_code: str) -> bool:
        return self.figure_units is None or unit_code in self.figure_units

    @property
    def key(self) -> str:
        """Part of every cache key over scoped data: two scopes never share a cached answer."""
        def part(units):
            return "*" if units is None else ",".join(sorted(units))
        return hashlib.sha256(f"{part(self.record_units)}|{part(self.figure_units)}".encode()).hexdigest()[:16]


EVERYTHING = Scope(None, None, who="system")
NOTHING = Scope(frozenset(), frozenset(), who="nobody")

_CURRENT: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("target_monitor_scope", default=None)


def current() -> Scope | None:
    return _CURRENT.get()


def set_current(scope: Scope | None) -> None:
    """For the rest of this thread's work (a Streamlit rerun, a CLI command)."""
    _CURRENT.set(scope)


@contextlib.contextmanager
def using(scope: Scope | None):
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


def key() -> str:
    scope = current()
    return "none" if scope is None else scope.key
