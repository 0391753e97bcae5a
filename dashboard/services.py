"""What the pages ask for, and the only place the app caches: the Store per database file, query results per
filters and data version. No SQL here: every query is in engine.analytics, every import goes through engine.ingest.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from engine import analytics
from engine.analytics import Filters, Kpi
from engine.ingest import CANONICAL, Detection, IngestError, IngestReport, detect, ingest
from engine.store import Store, default_db_path

__all__ = [
    "Filters",
    "IngestError",
    "KINDS",
    "TABLES",
    "FREQ_LABELS",
    "ImportItem",
    "ImportResult",
    "db_path",
    "store",
    "data_version",
    "ensure_demo",
    "filters",
    "set_filters",
    "PRESETS",
    "default_preset",
    "preset_range",
    "date_bounds",
    "categories",
    "kpis",
    "revenue_by_category",
    "top_products",
    "browse",
    "count_rows",
    "table_csv",
    "uploads",
    "rejected_rows",
    "rejected_csv",
    "save_upload",
    "detect_upload",
    "kind_can_be_chosen",
    "preview",
    "canonical_columns",
    "header_choices",
    "user_mapping",
    "import_files",
    "kpi_value",
    "kpi_delta",
    "plain",
]

KINDS: tuple[str, ...] = ("orders", "reviews", "products")
TABLES = analytics.TABLES
FREQ_LABELS: dict[str, str] = {"D": "Day", "W": "Week", "M": "Month"}
NONE_CHOICE = "(not in this file)"
_CACHE = {"max_entries": 64, "ttl": 3600, "show_spinner": False}
_FILTERS_KEY = "storelens_filters"
_demo_lock = threading.Lock()


# ------------------------------------------------------------------------------------------- store, demo


def db_path() -> str:
    """Database file of this app: $STORELENS_DB, else ./storelens.duckdb (absolute, so caches key on it)."""
    return str(default_db_path().resolve())


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    """One open Store per database file, shared by every session and rerun."""
    return Store.open(path)


def store() -> Store:
    """The Store of this app's database."""
    return _store(db_path())


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


# ------------------------------------------------------------------------------------------------ filters


PRESETS: dict[str, int | None] = {
    "Last 30 days": 30, "Last 90 days": 90, "Last 12 months": 365, "All time": None, "Custom": None,
}


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
    dates = tuple(dates or ())
    start = dates[0] if len(dates) > 0 else None
    end = dates[1] if len(dates) > 1 else None
    f = Filters(start, end, tuple(chosen_categories or ()))
    st.session_state[_FILTERS_KEY] = f
    return f


# ------------------------------------------------------------------------------------------ cached reads


@st.cache_data(**_CACHE)
def _date_bounds(db: str, version: int) -> tuple[date, date] | None:
    return analytics.date_bounds(_store(db))


@st.cache_data(**_CACHE)
def _categories(db: str, version: int) -> list[str]:
    return analytics.categories(_store(db))


@st.cache_data(**_CACHE)
def _kpis(db: str, version: int, f: Filters) -> list[Kpi]:
    return analytics.kpis(_store(db), f)


@st.cache_data(**_CACHE)
def _revenue_by_category(db: str, version: int, f: Filters, freq: str) -> pd.DataFrame:
    return analytics.revenue_by_category(_store(db), f, freq)


@st.cache_data(**_CACHE)
def _top_products(db: str, version: int, f: Filters, n: int) -> pd.DataFrame:
    return analytics.top_products(_store(db), f, n)


@st.cache_data(**_CACHE)
def _browse(db: str, version: int, table: str, limit: int, offset: int, search: str | None) -> pd.DataFrame:
    return analytics.browse(_store(db), table, limit, offset, search)


@st.cache_data(**_CACHE)
def _count_rows(db: str, version: int, table: str, search: str | None) -> int:
    return analytics.count_rows(_store(db), table, search)


@st.cache_data(**_CACHE)
def _uploads(db: str, version: int) -> pd.DataFrame:
    return analytics.uploads(_store(db))


@st.cache_data(**_CACHE)
def _rejected_rows(db: str, version: int, batch_id: str | None) -> pd.DataFrame:
    return analytics.rejected_rows(_store(db), batch_id)


def date_bounds() -> tuple[date, date] | None:
    """First and last order day (None before any orders are imported)."""
    return _date_bounds(db_path(), data_version())


def categories() -> list[str]:
    """Categories to filter by."""
    return _categories(db_path(), data_version())


def kpis(f: Filters) -> list[Kpi]:
    """The five headline numbers with their previous-period values."""
    return _kpis(db_path(), data_version(), f)


def revenue_by_category(f: Filters, freq: str) -> pd.DataFrame:
    """Revenue per period and category."""
    return _revenue_by_category(db_path(), data_version(), f, freq)


def top_products(f: Filters, n: int = 10) -> pd.DataFrame:
    """Best-selling products by revenue."""
    return _top_products(db_path(), data_version(), f, n)


def browse(table: str, page: int, page_size: int, search: str | None) -> pd.DataFrame:
    """Rows of page `page` (1-based) of a table."""
    return _browse(db_path(), data_version(), table, page_size, (max(page, 1) - 1) * page_size, search or None)


def count_rows(table: str, search: str | None) -> int:
    """How many rows the Data page pages through."""
    return _count_rows(db_path(), data_version(), table, search or None)


def table_csv(table: str) -> bytes:
    """The whole table as CSV (not cached: it can be large; the download button asks for it on click)."""
    return analytics.table_csv(store(), table)


def uploads() -> pd.DataFrame:
    """Upload history."""
    return _uploads(db_path(), data_version())


def rejected_rows(batch_id: str | None = None) -> pd.DataFrame:
    """Rejected rows of one upload (or all)."""
    return _rejected_rows(db_path(), data_version(), batch_id)


def rejected_csv(batch_id: str | None = None) -> bytes:
    """Rejected rows as a CSV download."""
    return rejected_rows(batch_id).to_csv(index=False).encode("utf-8")


# ------------------------------------------------------------------------------------------------ upload


@dataclass(frozen=True)
class ImportItem:
    """One file the user wants imported, with their corrections."""

    path: str
    file_name: str
    kind: str | None
    mapping: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file: its report, or the one-sentence reason it was refused."""

    file_name: str
    report: IngestReport | None
    error: str | None


def _upload_dir() -> Path:
    """Where this process keeps uploaded files while the user reviews them."""
    path = Path(tempfile.gettempdir()) / "storelens-uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_upload(uploaded) -> Path:
    """Write an st.file_uploader file to a temp path once per upload (reruns reuse it), keeping its extension."""
    suffix = Path(uploaded.name).suffix.lower()
    suffix = suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix or "") else ".csv"
    key = re.sub(r"[^A-Za-z0-9_-]", "", str(getattr(uploaded, "file_id", "") or ""))[:64]
    if not key:
        key = hashlib.sha256(uploaded.getvalue()).hexdigest()[:24]
    path = _upload_dir() / f"{key}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        with open(tmp, "wb") as fh:
            fh.write(uploaded.getbuffer())
        tmp.replace(path)
    return path


def detect_upload(path: str | Path, file_name: str, kind: str | None = None,
                  mapping: dict[str, str] | None = None) -> Detection:
    """Format, kind and column mapping of an upload (IngestError when it cannot be used)."""
    return detect(path, kind=kind, mapping=mapping or None, file_name=file_name)


def kind_can_be_chosen(path: str | Path, file_name: str) -> bool:
    """True when the file is readable and only its kind is unclear (then the page asks the user for it)."""
    for kind in ("orders", "reviews"):
        try:
            detect(path, kind=kind, file_name=file_name)
            return True
        except IngestError:
            continue
    return False


def preview(det: Detection, n: int = 10) -> pd.DataFrame:
    """First rows of an upload under canonical column names, in the canonical order."""
    df = det.preview(n)
    order = [c for c in CANONICAL.get(det.kind or "", ()) if c in df.columns]
    return df[order + [c for c in df.columns if c not in order]]


def canonical_columns(kind: str) -> tuple[str, ...]:
    """Columns the mapping form offers for a kind."""
    return tuple(CANONICAL[kind])


def _norm(header: str) -> str:
    """Header comparison key used by the importer (case, BOM, quotes and spaces do not matter)."""
    return header.replace("\ufeff", "").strip().strip('"').strip().lower()


def header_choices(det: Detection) -> list[str]:
    """Options of every mapping select box: 'not in this file' then the file's headers (unique, in order)."""
    seen, out = set(), [NONE_CHOICE]
    for h in det.headers:
        if h and h not in seen:
            seen.add(h)
            out.append(h)
    return out


def mapped_header(det: Detection, canon: str) -> str:
    """The header the detection uses for a canonical column (the first of its sources), or NONE_CHOICE."""
    sources = det.mapping.get(canon) or ()
    for source in sources:
        for h in det.headers:
            if h and _norm(h) == source:
                return h
    return NONE_CHOICE


def user_mapping(det: Detection, choices: dict[str, str | None]) -> dict[str, str]:
    """The form's choices that differ from the detection, as the importer's {canonical: header} mapping.

    Unchanged columns are left out so the importer keeps its own multi-column fallbacks (e.g. Email, else Phone);
    '(not in this file)' becomes '' which unmaps the column.
    """
    out = {}
    for canon, choice in choices.items():
        if choice is None or choice == mapped_header(det, canon):
            continue
        out[canon] = "" if choice == NONE_CHOICE else choice
    return out


def import_files(items: list[ImportItem], progress: Callable[[float, str], None] | None = None) -> list[ImportResult]:
    """Import each file as its own transaction; a bad file is reported and the others still go in."""
    say = progress or (lambda f, m: None)
    results = []
    n = max(len(items), 1)
    for i, item in enumerate(items):
        def step(fraction: float, message: str, i: int = i) -> None:
            say(min(max((i + fraction) / n, 0.0), 1.0), message)

        try:
            report = ingest(store(), item.path, kind=item.kind, mapping=dict(item.mapping) or None,
                            progress=step, file_name=item.file_name)
            results.append(ImportResult(item.file_name, report, None))
        except IngestError as exc:
            results.append(ImportResult(item.file_name, None, str(exc)))
        finally:
            path = Path(item.path)
            if path.parent == _upload_dir():  # the uploader is cleared after an import: drop our copy
                path.unlink(missing_ok=True)
    say(1.0, f"{len(items)} file(s) processed")
    return results


# ---------------------------------------------------------------------------------------------- display


def kpi_value(k: Kpi, value: float | None = ...) -> str:  # type: ignore[assignment]
    """A KPI (or another value of it) as the metric shows it: money with 2 decimals, counts whole, rates in %."""
    v = k.value if value is ... else value
    if v is None:
        return "–"
    if k.kind == "money":
        return f"{v:,.0f}" if abs(v) >= 100_000 else f"{v:,.2f}"  # cents stop mattering, width starts to
    if k.kind == "ratio":
        return f"{v:.1%}"
    return f"{v:,.0f}"


def kpi_delta(k: Kpi) -> str | None:
    """Change against the previous period: percent for amounts, percentage points for rates."""
    if k.value is None or k.previous is None:
        return None
    if k.kind == "ratio":
        return f"{(k.value - k.previous) * 100:+.1f} pp"
    change = k.change
    return None if change is None else f"{change:+.1%}"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>:~$&=])")


def plain(text: object) -> str:
    """User text made inert for Streamlit's Markdown (labels, errors, captions): every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
