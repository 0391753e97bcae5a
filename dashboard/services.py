"""What the pages ask for, and the only place the app caches: the Store per database file, query results per
filters and data version. No SQL here: every query is in engine.analytics, every import goes through engine.ingest.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from engine import analytics, sentiment_trends
from engine.analytics import Filters, Kpi
from engine.ingest import CANONICAL, Detection, IngestError, IngestReport, detect, ingest
from engine.sentiment_trends import Coverage
from engine.store import DatabaseLockedError, Store, default_db_path, open_shared

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
    """One Store per database file, shared by every session and rerun; it lets the file go between page runs."""
    return open_shared(path)


def store() -> Store:
    """The Store of this app's database."""
    return _store(db_path())


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
    dates = (dates,) if isinstance(dates, date) else tuple(dates or ())
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
    if any(r.report and r.report.kind == "reviews" and r.report.rows_loaded for r in results):
        _score_new_reviews()
    return results


def _score_new_reviews() -> None:
    """New reviews are scored in the background when a model exists and no other job runs."""
    from engine import sentiment

    if current_job() is None and sentiment.has_model(store()):
        try:
            start_scoring(only_new=True)
        except JobBusyError:
            pass


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


# ------------------------------------------------------------------------------------------------ sentiment
# Reads: engine.sentiment_trends (no torch import, so the Sentiment page opens fast). Training and scoring:
# engine.sentiment, imported on first use, run in background threads owned by one job registry per process.

__all__ += [
    "SENTIMENT_FREQS",
    "SENTIMENT_LABELS",
    "SENTIMENT_ALL",
    "Coverage",
    "Job",
    "JobBusyError",
    "sentiment_version",
    "sentiment_coverage",
    "sentiment_by_period",
    "sentiment_combined",
    "sentiment_categories",
    "sentiment_shifts",
    "sentiment_shift_history",
    "sentiment_reviews",
    "sentiment_review_count",
    "sentiment_training_data",
    "shift_sentence",
    "sentiment_active_version",
    "sentiment_metrics",
    "sentiment_versions",
    "sentiment_activate",
    "sentiment_min_reviews",
    "per_class_table",
    "JOB_TEXT",
    "jobs",
    "current_job",
    "latest_job",
    "start_training",
    "start_scoring",
    "cancel_job",
]

SENTIMENT_FREQS: dict[str, str] = {"W": "Week", "M": "Month"}
SENTIMENT_LABELS: tuple[str, ...] = sentiment_trends.LABELS
# The "all categories / all periods / all labels" option of the Sentiment page's selectboxes. Not None: a
# selectbox whose value is None shows its placeholder instead of the option's label. A NUL byte never reaches a
# category name through the importer, so it cannot collide with one.
SENTIMENT_ALL = "\x00all"


def sentiment_version() -> str:
    """Changes when reviews, scores or the active model change (scoring adds no upload, so data_version is not enough)."""
    return sentiment_trends.data_version(store())


@st.cache_data(**_CACHE)
def _sentiment_coverage(db: str, version: str, f: Filters) -> Coverage:
    return sentiment_trends.coverage(_store(db), f)


@st.cache_data(**_CACHE)
def _sentiment_by_period(db: str, version: str, f: Filters, freq: str) -> pd.DataFrame:
    return sentiment_trends.sentiment_by_period(_store(db), f, freq)


@st.cache_data(**_CACHE)
def _sentiment_categories(db: str, version: str, f: Filters) -> pd.DataFrame:
    return sentiment_trends.category_comparison(_store(db), f)


@st.cache_data(**_CACHE)
def _sentiment_shifts(db: str, version: str, f: Filters, freq: str, alpha: float, min_reviews: int) -> pd.DataFrame:
    return sentiment_trends.significant_shifts(_store(db), f, freq, alpha=alpha, min_reviews=min_reviews)


@st.cache_data(**_CACHE)
def _sentiment_history(db: str, version: str, f: Filters, freq: str, alpha: float, min_reviews: int) -> pd.DataFrame:
    return sentiment_trends.shift_history(_store(db), f, freq, alpha=alpha, min_reviews=min_reviews)


@st.cache_data(**_CACHE)
def _sentiment_reviews(db: str, version: str, f: Filters, category: str | None, period: date | None, freq: str,
                       label: str | None, search: str | None, limit: int) -> pd.DataFrame:
    return sentiment_trends.reviews_for(_store(db), f, category, period, freq, label, search, limit)


@st.cache_data(**_CACHE)
def _sentiment_review_count(db: str, version: str, f: Filters, category: str | None, period: date | None, freq: str,
                            label: str | None, search: str | None) -> int:
    return sentiment_trends.count_reviews_for(_store(db), f, category, period, freq, label, search)


@st.cache_data(**_CACHE)
def _sentiment_training_data(db: str, version: str) -> dict:
    return sentiment_trends.training_data(_store(db))


def sentiment_coverage(f: Filters) -> Coverage:
    """How many reviews in range the model labelled, their rating labelled, or nobody could label."""
    return _sentiment_coverage(db_path(), sentiment_version(), f)


def sentiment_by_period(f: Filters, freq: str) -> pd.DataFrame:
    """Label counts and shares per period and category."""
    return _sentiment_by_period(db_path(), sentiment_version(), f, freq)


def sentiment_combined(f: Filters, freq: str, category: str | None = None) -> pd.DataFrame:
    """Shares per period of one category, or of all categories in range together (category None)."""
    df = sentiment_by_period(f, freq)
    if category is not None:
        return df[df["category"] == category].reset_index(drop=True)
    return sentiment_trends.combine_categories(df)


def sentiment_categories(f: Filters) -> pd.DataFrame:
    """Per-category shares, average rating and average model probabilities over the whole range."""
    return _sentiment_categories(db_path(), sentiment_version(), f)


def sentiment_shifts(f: Filters, freq: str, alpha: float = 0.05, min_reviews: int = 10) -> pd.DataFrame:
    """Per category: the last complete period's negative share against the periods before it."""
    return _sentiment_shifts(db_path(), sentiment_version(), f, freq, float(alpha), int(min_reviews))


def sentiment_shift_history(f: Filters, freq: str, alpha: float = 0.05, min_reviews: int = 10) -> pd.DataFrame:
    """Every (category, period) whose negative share was significantly above the periods before it."""
    return _sentiment_history(db_path(), sentiment_version(), f, freq, float(alpha), int(min_reviews))


def _as_day(period) -> date | None:
    if period is None or (isinstance(period, float) and pd.isna(period)):
        return None
    return pd.Timestamp(period).date()


def sentiment_reviews(f: Filters, category: str | None = None, period=None, freq: str = "W",
                      label: str | None = None, search: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The reviews behind a chart point (newest first), searchable and filterable by label."""
    return _sentiment_reviews(db_path(), sentiment_version(), f, category, _as_day(period), freq, label,
                              (search or "").strip() or None, int(limit))


def sentiment_review_count(f: Filters, category: str | None = None, period=None, freq: str = "W",
                           label: str | None = None, search: str | None = None) -> int:
    """How many reviews sentiment_reviews would list without its limit."""
    return _sentiment_review_count(db_path(), sentiment_version(), f, category, _as_day(period), freq, label,
                                   (search or "").strip() or None)


def sentiment_training_data() -> dict:
    """Rated reviews with text per label: what a training run would learn from."""
    return _sentiment_training_data(db_path(), sentiment_version())


def _share(x: float) -> str:
    return f"{x:.0%}" if pd.notna(x) else "–"


def _pvalue(p: float) -> str:
    if pd.isna(p):
        return "p –"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def shift_sentence(row, freq: str) -> str:
    """One flagged shift as a sentence with its counts (category escaped for Markdown), e.g.
    'Bags: 68% negative in the week of 2026-06-08 (19 of 28) vs 13% before (78 of 622), p < 0.001'."""
    unit = "week of" if freq == "W" else "month of"
    when = pd.Timestamp(row["period"]).strftime("%Y-%m-%d" if freq == "W" else "%B %Y")
    return (
        f"{plain(row['category'])}: {_share(row['share_negative'])} negative in the {unit} {when} "
        f"({int(row['n_negative'])} of {int(row['n'])}) vs {_share(row['share_negative_before'])} before "
        f"({int(row['n_negative_before'])} of {int(row['n_before'])}), {_pvalue(row['p_value'])}"
    )


def sentiment_active_version() -> str | None:
    """The active model version, None before any training (cheap: no model is loaded)."""
    return sentiment_trends.active_version(store())


def sentiment_metrics(version: str | None = None) -> dict:
    """The full training report of a version (default: the active one)."""
    return sentiment_trends.version_metrics(store(), version)


def sentiment_versions() -> pd.DataFrame:
    """All trained versions with their headline metrics, newest first (empty before any training)."""
    if sentiment_trends.version_count(store()) == 0:  # no torch import before there is a model
        return pd.DataFrame()
    from engine import sentiment

    return sentiment.list_versions(store())


def sentiment_activate(version: str) -> None:
    """Make a version the active one (rollback); raises if its files are missing or corrupt."""
    from engine import sentiment

    with _job_start_lock:  # not while a job trains or writes scores
        if current_job() is not None:
            raise JobBusyError("a training or scoring job is running; switch versions when it has finished")
        sentiment.activate(store(), version)


def sentiment_delete(version: str) -> float:
    """Delete an inactive version's files and row to free disk; returns the megabytes freed."""
    from engine import sentiment

    with _job_start_lock:  # not while a job may register or load versions
        if current_job() is not None:
            raise JobBusyError("a training or scoring job is running; delete versions when it has finished")
        return sentiment.delete_version(store(), version) / 1e6


def sentiment_min_reviews() -> int:
    """Fewest rated reviews a training run accepts (engine.sentiment.MIN_REVIEWS)."""
    from engine import sentiment

    return int(sentiment.MIN_REVIEWS)


def per_class_table(metrics: dict) -> pd.DataFrame:
    """Precision, recall, F1 and support per label for the model and the baseline, from a training report."""
    model, base = metrics.get("per_class") or {}, metrics.get("baseline_per_class") or {}
    rows = []
    for label in metrics.get("labels") or SENTIMENT_LABELS:
        m, b = model.get(label) or {}, base.get(label) or {}
        rows.append({
            "label": label, "precision": m.get("precision"), "recall": m.get("recall"), "F1": m.get("f1"),
            "support": m.get("support", b.get("support")), "baseline precision": b.get("precision"),
            "baseline recall": b.get("recall"), "baseline F1": b.get("f1"),
        })
    return pd.DataFrame(rows, columns=["label", "precision", "recall", "F1", "support", "baseline precision",
                                       "baseline recall", "baseline F1"])


# ------------------------------------------------------------------------------------- background jobs


JOB_TEXT: dict[str, str] = {"train": "Training", "score": "Scoring every review",
                             "score_new": "Scoring the reviews the active model has not scored"}


class JobBusyError(RuntimeError):
    """A training or scoring job is already running on this database."""


class JobCancelled(BaseException):
    """Raised from a job's progress callback to stop it (BaseException: the engine's `except Exception` won't eat it)."""


@dataclass
class Job:
    """One background training or scoring run; its thread updates the fields, pages read them."""

    id: str
    kind: str  # 'train' | 'score' | 'score_new'
    db: str
    params: dict
    started_at: float
    fraction: float = 0.0
    message: str = "starting"
    status: str = "running"  # running | done | failed | cancelled
    result: dict | None = None
    error: str | None = None
    finished_at: float | None = None
    cancel_requested: bool = False
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.time()) - self.started_at

    def update(self, fraction: float, message: str) -> None:
        """Progress callback handed to the engine; raises JobCancelled once a cancel is requested."""
        if self.cancel_requested:
            raise JobCancelled()
        self.fraction = min(max(float(fraction), self.fraction), 1.0)  # never moves backwards
        self.message = str(message)


class JobRegistry:
    """Background jobs of this server process, per database file; at most one running job per database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, list[Job]] = {}

    def current(self, db: str) -> Job | None:
        with self._lock:
            return next((j for j in reversed(self._jobs.get(db, [])) if j.running), None)

    def latest(self, db: str) -> Job | None:
        with self._lock:
            jobs = self._jobs.get(db, [])
            return jobs[-1] if jobs else None

    def start(self, db: str, kind: str, params: dict, work: Callable[[Job], dict]) -> Job:
        with self._lock:
            if any(j.running for j in self._jobs.get(db, [])):
                raise JobBusyError("a training or scoring job is already running; wait for it to finish")
            job = Job(uuid.uuid4().hex[:12], kind, db, dict(params), time.time())
            self._jobs.setdefault(db, []).append(job)
            del self._jobs[db][:-20]  # keep the last few for the pages, not every run since the server started

        def run() -> None:
            try:
                job.result = work(job)
                job.fraction, job.status = 1.0, "done"
            except JobCancelled:
                job.status, job.message = "cancelled", "cancelled"
            except BaseException as exc:  # the page shows it; the server keeps running
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                job.finished_at = time.time()

        job.thread = threading.Thread(target=run, name=f"storelens-{kind}-{job.id}", daemon=True)
        job.thread.start()
        return job


_job_start_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def jobs() -> JobRegistry:
    """The one job registry of this server process: jobs outlive reruns, page switches and closed tabs."""
    return JobRegistry()


def current_job() -> Job | None:
    """The job running on this app's database, if any."""
    return jobs().current(db_path())


def latest_job() -> Job | None:
    """The most recent job on this app's database (running or finished)."""
    return jobs().latest(db_path())


def _scaled(job: Job, lo: float, hi: float) -> Callable[[float, str], None]:
    return lambda f, m: job.update(lo + (hi - lo) * min(max(float(f), 0.0), 1.0), m)


def start_training(time_budget: float, base_model: str | None = None, score_after: bool = True) -> Job:
    """Train a new version in a background thread (then score every review with it when score_after)."""
    s, db = store(), db_path()
    base = (base_model or "").strip() or None

    def work(job: Job) -> dict:
        from engine import sentiment

        report = sentiment.train(s, time_budget=float(time_budget), base_model=base,
                                 progress=_scaled(job, 0.0, 0.85 if score_after else 1.0))
        if score_after:
            job.update(0.85, "scoring every review with the new model")
            report = dict(report, scoring=sentiment.score(s, progress=_scaled(job, 0.85, 1.0)))
        return report

    with _job_start_lock:
        return jobs().start(db, "train", {"time_budget": float(time_budget), "base_model": base,
                                          "score_after": bool(score_after)}, work)


def start_scoring(only_new: bool = False) -> Job:
    """Score every review (or only those the active model has not scored) in a background thread."""
    s, db = store(), db_path()

    def work(job: Job) -> dict:
        from engine import sentiment

        job.update(0.0, "loading the active model")
        fn = sentiment.score_new if only_new else sentiment.score
        return fn(s, progress=job.update)

    with _job_start_lock:
        return jobs().start(db, "score_new" if only_new else "score", {}, work)


def cancel_job(job: Job) -> None:
    """Ask a running job to stop at its next progress report (a training run then keeps no version)."""
    job.cancel_requested = True


# --------------------------------------------------------------------------------------------- explanations
# engine.explain and engine.drivers (torch, Captum) are imported on first use. The model is one cached resource
# per database and active version; one lock serialises every computation on it: Captum hooks the embedding layer
# while it integrates, so no other forward pass may run on that module object meanwhile.

__all__ += [
    "ExplainUnavailable",
    "Explained",
    "DRIVER_SAMPLE_SIZES",
    "explanation",
    "explain_review_row",
    "driver_review_counts",
    "driver_period",
    "drivers",
    "top_drivers",
    "driver_reviews",
]

DRIVER_SAMPLE_SIZES: tuple[int, ...] = (20, 50, 100, 200, 500)
_EXPLAIN_CACHE = {"max_entries": 128, "ttl": 3600, "show_spinner": False}
_explain_lock = threading.Lock()


class ExplainUnavailable(RuntimeError):
    """No usable sentiment model to explain with; the message says why (none trained, or every version broken)."""


@dataclass(frozen=True)
class Explained:
    """One explained text: the engine's results, the model version that made them, and the escaped highlight."""

    explanation: object  # engine.explain.ReviewExplanation
    faithfulness: object  # engine.explain.Faithfulness
    model_version: str | None
    html: str  # engine.explain.highlight_html: every character of the review html-escaped


class _DriversNotComputed(Exception):
    """Raised (so st.cache_data keeps nothing) when drivers are not on disk yet."""


@st.cache_resource(show_spinner=False, max_entries=2)
def _explain_model(db: str, version: str):
    """The loaded sentiment model of a database's active version (falls back to the previous good version)."""
    from engine import sentiment

    return sentiment.load_active(_store(db))


def _active_model() -> tuple[str, object]:
    """(active version, loaded model), or ExplainUnavailable."""
    version = sentiment_active_version()
    if version is None:
        raise ExplainUnavailable("No sentiment model yet: train one on the Training page.")
    from engine import sentiment

    try:
        return version, _explain_model(db_path(), version)
    except (sentiment.ModelNotFoundError, sentiment.ModelLoadError) as exc:
        raise ExplainUnavailable(str(exc)) from exc


@st.cache_data(**_EXPLAIN_CACHE)
def _explanation(db: str, version: str, text: str, target: str | None) -> Explained:
    from engine import explain

    model = _explain_model(db, version)
    with _explain_lock:
        e = explain.explain_review(model, text, target=target)
        f = explain.faithfulness(model, text, e)
    return Explained(e, f, getattr(model, "version", None), explain.highlight_html(text, e.tokens, e.target))


def explanation(text: str, target: str | None = None) -> Explained:
    """Word attributions, faithfulness badge and highlighted HTML of a text, cached per model version and text."""
    version, _ = _active_model()
    return _explanation(db_path(), version, str(text), target)


@st.cache_data(**_CACHE)
def _explain_review_row(db: str, version: str, review_id: str) -> dict | None:
    from engine import drivers

    return drivers.review_text(_store(db), review_id)


def explain_review_row(review_id: str | None) -> dict | None:
    """One stored review with the text the model reads (`model_text`) and its stored label; None if unknown."""
    if review_id is None or not str(review_id).strip():
        return None
    return _explain_review_row(db_path(), sentiment_version(), str(review_id).strip())


@st.cache_data(**_CACHE)
def _driver_review_counts(db: str, version: str, category: str | None, start: date, end: date) -> tuple[int, int]:
    from engine import drivers

    prev_start, prev_end = drivers.previous_period(start, end)
    s = _store(db)
    return drivers.count_reviews(s, category, start, end), drivers.count_reviews(s, category, prev_start, prev_end)


def driver_review_counts(category: str | None, start: date, end: date) -> tuple[int, int]:
    """Reviews with text in [start, end) and in the period of the same length before it."""
    return _driver_review_counts(db_path(), sentiment_version(), category, start, end)


@st.cache_data(**_CACHE)
def _driver_period(db: str, version: int, category: str | None) -> tuple[date, date] | None:
    from engine import drivers

    return drivers.review_bounds(_store(db), category)


def driver_period(f: Filters, category: str | None = None) -> tuple[date, date] | None:
    """Default inclusive days for the drivers view: the sidebar's dates, else the last 90 days of reviews."""
    bounds = _driver_period(db_path(), data_version(), category)
    if bounds is None:
        return (f.start, f.end) if f.start is not None and f.end is not None else None
    end = f.end or bounds[1]
    start = f.start or max(bounds[0], end - timedelta(days=89))
    return (start, end) if start <= end else (end, end)


@st.cache_data(**_CACHE)
def _drivers(db: str, version: str, model_version: str, category: str | None, start: date, end: date,
             sample_size: int) -> pd.DataFrame:
    from engine import drivers

    model = _explain_model(db, model_version)
    df = drivers.drivers_for(_store(db), model, category, start, end, sample_size, cached_only=True)
    if df is None:
        raise _DriversNotComputed()
    return df


def drivers(category: str | None, start: date, end: date, sample_size: int = 100, compute: bool = False,
            progress: Callable[[float, str], None] | None = None) -> pd.DataFrame | None:
    """Category drivers of [start, end) against the period before it (engine.drivers.drivers_for).

    Results live on disk per model version; without `compute` this only reads them (None when not computed yet),
    with it the missing ones are computed first (seconds to minutes: 2 x 16 IG passes per sampled review).
    """
    version, model = _active_model()
    key = (db_path(), sentiment_version(), version, category, start, end, int(sample_size))
    try:
        return _drivers(*key)
    except _DriversNotComputed:
        if not compute:
            return None
    from engine import drivers as _engine_drivers

    with _explain_lock:
        _engine_drivers.drivers_for(store(), model, category, start, end, int(sample_size), progress=progress)
    try:
        return _drivers(*key)
    except _DriversNotComputed:  # e.g. the model folder is read-only: nothing could be stored
        return None


def top_drivers(df: pd.DataFrame, toward: str, k: int = 10) -> pd.DataFrame:
    """The k terms pushing most toward 'negative' or 'positive' (engine.explain.top_drivers)."""
    from engine import explain

    return explain.top_drivers(df, toward, k)


@st.cache_data(**_CACHE)
def _driver_reviews(db: str, version: str, category: str | None, start: date, end: date, term: str,
                    limit: int) -> pd.DataFrame:
    from engine import drivers

    return drivers.reviews_containing(_store(db), category, start, end, term, limit)


def driver_reviews(category: str | None, start: date, end: date, term: str, limit: int = 50) -> pd.DataFrame:
    """The reviews in [start, end) containing a driver term (whole words), newest first, with n_total."""
    return _driver_reviews(db_path(), sentiment_version(), category, start, end, str(term), int(limit))
