"""This app's database and this session's sidebar filters: which Store a page reads, when the file is held, the
demo store on first open, and the period presets every page filters by."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta

import streamlit as st

from engine import analytics
from engine.analytics import Filters
from engine.store import DatabaseLockedError, Store, default_db_path

from . import cache

__all__ = [
    "Filters",
    "PRESETS",
    "db_path",
    "store",
    "page_session",
    "data_version",
    "ensure_demo",
    "filters",
    "set_filters",
    "default_preset",
    "preset_range",
    "date_bounds",
    "categories",
]

PRESETS: dict[str, int | None] = {
    "Last 30 days": 30, "Last 90 days": 90, "Last 12 months": 365, "All time": None, "Custom": None,
}
_FILTERS_KEY = "storelens_filters"
_demo_lock = threading.Lock()


def db_path() -> str:
    """Database file of this app: $STORELENS_DB, else ./storelens.duckdb (absolute, so caches key on it)."""
    return str(default_db_path().resolve())


def store() -> Store:
    """The Store of this app's database."""
    return cache.store(db_path())


@contextmanager
def page_session() -> Iterator[str | None]:
    """Hold the database for one page run (one open, however many queries); yields why not, if it is busy.

    Between runs the file is free, so `storelens ingest` or `sentiment train` from a shell can use it while the
    dashboard is open; the next run sees what they wrote.
    """
    with ExitStack() as stack:
        try:
            stack.enter_context(store().hold())
        except DatabaseLockedError as exc:  # not cached: the next rerun tries again
            yield f"StoreLens cannot open its database: {exc}."  # the reason already says to try again
            return
        yield None


def data_version() -> int:
    """Changes whenever an upload lands: part of every cached query's key, so results never go stale."""
    return analytics.data_version(store())


def ensure_demo(progress: Callable[[float, str], None] | None = None) -> str | None:
    """Load the built-in demo store into an empty database (unless STORELENS_NO_DEMO=1); a message if it can't."""
    if os.environ.get("STORELENS_NO_DEMO", "").strip() not in ("", "0"):
        return None
    s = store()
    if not s.is_empty():
        return None
    with _demo_lock:  # two first visitors at once must not both import it
        if not s.is_empty():
            return None
        try:
            from engine.demo import load_demo
        except ImportError:
            return "The demo data is not available in this installation; upload your own exports."
        try:
            load_demo(s, progress=progress)
        except Exception as exc:  # the app must open anyway; the user can still upload their own files
            return f"The demo data could not be loaded ({type(exc).__name__}: {exc}); upload your own exports."
    return None


def default_preset(bounds: tuple[date, date]) -> str:
    """The period a merchant sees first: the last 90 days when there is a comparable period before, else all."""
    return "Last 90 days" if (bounds[1] - bounds[0]).days + 1 >= 180 else "All time"


def preset_range(bounds: tuple[date, date], preset: str) -> tuple[date, date] | None:
    """Dates of a named period, ending on the last order day; None for 'Custom' (the user's own dates)."""
    if preset == "Custom" or preset not in PRESETS:
        return None
    days = PRESETS[preset]
    if days is None:
        return bounds
    return max(bounds[0], bounds[1] - timedelta(days=days - 1)), bounds[1]


def filters() -> Filters:
    """The filters chosen in the sidebar, shared by every page of this session."""
    return st.session_state.get(_FILTERS_KEY) or Filters()


def set_filters(dates: tuple | list | None, chosen_categories: list[str] | None) -> Filters:
    """Store the sidebar's choices (a half-picked date range keeps its end open)."""
    dates = (dates,) if isinstance(dates, date) else tuple(dates or ())
    start = dates[0] if len(dates) > 0 else None
    end = dates[1] if len(dates) > 1 else None
    f = Filters(start, end, tuple(chosen_categories or ()))
    st.session_state[_FILTERS_KEY] = f
    return f


def date_bounds() -> tuple[date, date] | None:
    """First and last order day (None before any orders are imported)."""
    return cache.date_bounds(db_path(), data_version())


def categories() -> list[str]:
    """Categories to filter by."""
    return cache.categories(db_path(), data_version())
