"""This app's database and this session's sidebar filters: which Store a page reads, whether this browser is logged
in, the demo store on first open, and the period presets every page filters by."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboard import gate
from engine import analytics
from engine.analytics import Filters
from engine.store import DatabaseLockedError, Store, default_db_path

from . import cache, errors

__all__ = [
    "Filters",
    "PRESETS",
    "db_path",
    "store",
    "signed_in",
    "database_busy",
    "password_required",
    "sign_out",
    "data_version",
    "ensure_demo",
    "filters",
    "set_filters",
    "default_preset",
    "Opening",
    "opening_period",
    "period_note",
    "unpriced_note",
    "preset_range",
    "date_bounds",
    "categories",
    "implausible_dates_note",
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


def signed_in() -> bool:
    """Whether this browser session may see the data: no password is configured, or its login is still live."""
    return gate.session_valid(st.context.cookies.get(gate.COOKIE))


def password_required() -> bool:
    """True when the server asks for a password (then pages offer Log out)."""
    try:
        return gate.configured_password() is not None
    except OSError:
        return True


def sign_out() -> None:
    """End this browser's login (the cookie it holds is worthless afterwards)."""
    gate.end_session(st.context.cookies.get(gate.COOKIE))


def database_busy() -> str | None:
    """Why the page cannot read now, when a command holds the database past the app's short wait (else None)."""
    try:
        data_version()
    except DatabaseLockedError as exc:
        return errors.busy(exc)
    return None


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


@dataclass(frozen=True)
class Opening:
    """The period (and currency) a page run opens on after the data changed, and the sentence that says why."""

    key: tuple  # what it was decided from: a new upload or new bounds decide again
    preset: str
    dates: tuple[date, date]
    currency: str | None  # the latest upload's main currency ("" for none), None to leave the choice alone
    note: str | None


def opening_period(bounds: tuple[date, date]) -> Opening:
    """The period a merchant sees first, following the latest orders upload: someone who just imported a file expects
    to see that file, not the last weeks of other data (the demo, or a later export) beside it. When the usual
    default period holds some of the upload it stays; when the upload lies wholly before it, the period opens on
    the upload's own last 90 days (or its whole span when shorter), with a sentence naming it."""
    span = cache.latest_upload_span(db_path(), data_version())
    key = (bounds, span.batch_id if span else None)
    preset = default_preset(bounds)
    usual = preset_range(bounds, preset)
    if span is None or span.end >= usual[0]:
        return Opening(key, preset, usual, span.currency if span else None, None)
    long = (span.end - span.start).days + 1 >= 180
    start = max(span.start, span.end - timedelta(days=89)) if long else span.start
    what = "the last 90 days" if long else "all"
    note = (f"Showing {what} of your latest upload, {span.file} ({span.lines:,} order lines from "
            f"{span.start:%Y-%m-%d} to {span.end:%Y-%m-%d}); pick another period in the sidebar.")
    return Opening(key, "Custom", (start, span.end), span.currency, note)


def unpriced_note() -> str | None:
    """A sentence when every order line lacks a price (a basket log): money figures are empty, not zero sales."""
    n, unpriced = cache.unpriced_lines(db_path(), data_version())
    if not n or unpriced < n:
        return None
    return (f"Your {n:,} order lines have no prices, so revenue and average order value stay empty: map a price or "
            "amount column on the Upload page (tick Replace) to see them. Orders, customers, Recommendations and "
            "Segments use the lines as they are.")


def period_note() -> str | None:
    """Why the period is what it is, while it is the one the latest upload opened on (None once the merchant
    picked another)."""
    return st.session_state.get("storelens_period_note")


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


def implausible_dates_note() -> str | None:
    """A sentence about orders or reviews whose dates lie outside every period (before 1990, over a year ahead)."""
    counts = cache.implausible_dates(db_path(), data_version())
    names = {"orders": "order line", "reviews": "review"}
    parts = [f"{n:,} {names[table]}{'s' if n != 1 else ''}" for table, n in counts.items() if n]
    if not parts:
        return None
    return (f"{' and '.join(parts)} dated before 1990 or more than a year ahead "
            "are left out of every period; find them on the Data page (a misread date format?).")


def categories() -> list[str]:
    """Categories to filter by."""
    return cache.categories(db_path(), data_version())
