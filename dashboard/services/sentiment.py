"""What the Sentiment page asks for: label shares per period and category, significant rises in negative reviews,
and the reviews behind a chart point. Reads engine.sentiment.trends only (no torch), so the page opens fast."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from engine.analytics import Filters
from engine.sentiment import language_name
from engine.sentiment import trends as sentiment_trends
from engine.sentiment.trends import Coverage
from engine.store import period_bounds

from . import cache
from .display import chance_reading, first_text, plain
from .sentiment_model import SENTIMENT_LABELS, sentiment_version
from .session import db_path

__all__ = [
    "SENTIMENT_FREQS",
    "SENTIMENT_LABELS",
    "SENTIMENT_ALL",
    "Coverage",
    "sentiment_coverage",
    "undated_note",
    "sentiment_by_period",
    "sentiment_combined",
    "sentiment_categories",
    "sentiment_languages",
    "language_names",
    "sentiment_shifts",
    "sentiment_shift_history",
    "sentiment_reviews",
    "sentiment_review_count",
    "shift_sentence",
    "shift_p_value",
    "ShiftAlerts",
    "shift_alerts",
    "shift_method",
    "review_periods",
    "review_heading",
    "review_table",
    "alert_window",
    "alerts_outside",
    "drivers_request",
    "read_drivers_request",
]

SENTIMENT_FREQS: dict[str, str] = {"W": "Week", "M": "Month"}
# The "all categories / all periods / all labels" option of the Sentiment page's selectboxes. Not None: a
# selectbox whose value is None shows its placeholder instead of the option's label. A NUL byte never reaches a
# category name through the importer, so it cannot collide with one.
SENTIMENT_ALL = "\x00all"


def sentiment_coverage(f: Filters) -> Coverage:
    """How many reviews in range the model labelled, their rating labelled, or nobody could label."""
    return cache.sentiment_coverage(db_path(), sentiment_version(), f)


def undated_note(f: Filters) -> str | None:
    """What the page says about reviews without a date (None when there are none): with dates chosen they are
    outside every range; with All time they count everywhere but in the periods. Either way: how to date them."""
    n = cache.undated_reviews(db_path(), sentiment_version(), f)
    if not n:
        return None
    fix = "map the file's date column on the Upload page (tick Replace) to date them."
    if f.start is None and f.end is None:
        return (f"{n:,} reviews have no date: they count in the shares by category and in the review list, but in "
                f"no week or month; {fix}")
    return (f"{n:,} reviews have no date, so no date range holds them: choose All time in the sidebar to count "
            f"them; {fix}")


def sentiment_by_period(f: Filters, freq: str) -> pd.DataFrame:
    """Label counts and shares per period and category."""
    return cache.sentiment_by_period(db_path(), sentiment_version(), f, freq)


def sentiment_combined(f: Filters, freq: str, category: str | None = None) -> pd.DataFrame:
    """Shares per period of one category, or of all categories in range together (category None)."""
    df = sentiment_by_period(f, freq)
    if category is not None:
        return df[df["category"] == category].reset_index(drop=True)
    return sentiment_trends.combine_categories(df)


def sentiment_categories(f: Filters) -> pd.DataFrame:
    """Per-category shares, average rating and average model probabilities over the whole range."""
    return cache.sentiment_categories(db_path(), sentiment_version(), f)


def sentiment_shifts(f: Filters, freq: str, alpha: float = 0.05, min_reviews: int = 10) -> pd.DataFrame:
    """Per category: the last complete period's negative share against the periods before it."""
    return cache.sentiment_shifts(db_path(), sentiment_version(), f, freq, float(alpha), int(min_reviews))


def sentiment_shift_history(f: Filters, freq: str, alpha: float = 0.05, min_reviews: int = 10) -> pd.DataFrame:
    """Every (category, period) whose negative share was significantly above the periods before it."""
    return cache.sentiment_history(db_path(), sentiment_version(), f, freq, float(alpha), int(min_reviews))


def _as_day(period) -> date | None:
    if period is None or (isinstance(period, float) and pd.isna(period)):
        return None
    return pd.Timestamp(period).date()


def sentiment_reviews(f: Filters, category: str | None = None, period=None, freq: str = "W",
                      label: str | None = None, search: str | None = None, limit: int = 200,
                      language: str | None = None) -> pd.DataFrame:
    """The reviews behind a chart point (newest first), searchable and filterable by label and language."""
    return cache.sentiment_reviews(db_path(), sentiment_version(), f, category, _as_day(period), freq, label,
                              (search or "").strip() or None, int(limit), language)


def sentiment_review_count(f: Filters, category: str | None = None, period=None, freq: str = "W",
                           label: str | None = None, search: str | None = None, language: str | None = None) -> int:
    """How many reviews sentiment_reviews would list without its limit."""
    return cache.sentiment_review_count(db_path(), sentiment_version(), f, category, _as_day(period), freq, label,
                                   (search or "").strip() or None, language)


def sentiment_languages(f: Filters, freq: str | None = None) -> pd.DataFrame:
    """The shop's language mix with each language's sentiment shares (per period when `freq` is given)."""
    return cache.sentiment_languages(db_path(), sentiment_version(), f, freq)


def language_names(codes) -> dict[str, str]:
    """Code -> the name the pages show ("zh" -> "Chinese (zh)"), for the language filter and charts."""
    return {c: ("unknown" if c == sentiment_trends.UNKNOWN_LANGUAGE else language_name(c)) for c in codes}


def _share(x: float) -> str:
    return f"{x:.0%}" if pd.notna(x) else "–"


def _pvalue(p: float) -> str:
    if pd.isna(p):
        return "p –"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def shift_sentence(row, freq: str) -> str:
    """One flagged shift as a sentence with its counts and a plain reading of its p-value (category escaped for
    Markdown), e.g. 'Bags: 68% negative in the week of 2026-06-08 (19 of 28) vs 13% before (78 of 622), very
    unlikely to be chance'; shift_p_value gives the p-value for the help beside it."""
    unit = "week of" if freq == "W" else "month of"
    when = pd.Timestamp(row["period"]).strftime("%Y-%m-%d" if freq == "W" else "%B %Y")
    return (
        f"{plain(row['category'])}: {_share(row['share_negative'])} negative in the {unit} {when} "
        f"({int(row['n_negative'])} of {int(row['n'])}) vs {_share(row['share_negative_before'])} before "
        f"({int(row['n_negative_before'])} of {int(row['n_before'])}), {chance_reading(row['p_value'])}"
    )


def shift_p_value(row) -> str:
    """The p-value behind a shift sentence's plain reading, for its help ('p < 0.001 ...')."""
    return (f"{_pvalue(row['p_value'])}: the chance of a rise at least this large if the {plain(row.get('category'))} "
            "reviews were negative as often as before (the test is under 'How the alerts are tested').")


@dataclass(frozen=True)
class ShiftAlerts:
    """The Sentiment page's alerts: significant rises in the last complete period, and earlier ones."""

    now: pd.DataFrame  # sentiment_shifts rows that are significant
    past: pd.DataFrame  # sentiment_shift_history rows not already in `now`
    last_period: pd.Timestamp | None  # the last complete period tested

    @property
    def periods(self) -> set[pd.Timestamp]:
        """Every flagged period (the review list offers them even outside the sidebar's dates)."""
        if not len(self.now) + len(self.past):
            return set()
        return {pd.Timestamp(p) for p in pd.concat([self.now["period"], self.past["period"]]).unique()}


def shift_alerts(f: Filters, freq: str, all_dates: bool) -> ShiftAlerts:
    """Significant rises in negative reviews per category, in the sidebar's dates or (all_dates) the whole history."""
    scope = Filters(None, None, f.categories) if all_dates else f
    shifts = sentiment_shifts(scope, freq)
    history = sentiment_shift_history(scope, freq)
    now = shifts[shifts["significant"]] if not shifts.empty else shifts
    past = history
    if not now.empty:
        past = history[~history.set_index(["category", "period"]).index.isin(
            now.set_index(["category", "period"]).index)]
    last = shifts["period"].max() if not shifts.empty else None
    return ShiftAlerts(now, past, pd.Timestamp(last) if last is not None and pd.notna(last) else None)


def shift_method(freq: str) -> str:
    """How the alerts are tested, in one caption."""
    unit = "week" if freq == "W" else "month"
    return (f"One-sided test per category: the {unit}'s negative share against all earlier {unit}s in range "
            "(two-proportion z-test; Fisher's exact test where counts are small), Benjamini–Hochberg corrected, "
            f"5% level, {unit}s with at least 10 labelled reviews. Only complete {unit}s are tested.")


def review_periods(by_period: pd.DataFrame, alerts: ShiftAlerts) -> tuple[list[pd.Timestamp], set[pd.Timestamp]]:
    """(periods the review list offers, newest first; those inside the sidebar's dates): the charts' periods plus
    flagged ones outside them (an alert's "Show reviews" can point there)."""
    in_range = {pd.Timestamp(p) for p in by_period["period"].unique()} if not by_period.empty else set()
    return sorted(in_range | alerts.periods, reverse=True), in_range


def review_heading(r: pd.Series) -> tuple[str, str]:
    """(bold title, caption) of one listed review, Markdown-safe: date, stars, product, category, label."""
    rating = "no rating" if pd.isna(r["rating"]) else f"{r['rating']:.0f} star" + ("" if r["rating"] == 1 else "s")
    when = "no date" if pd.isna(r["review_ts"]) else f"{pd.Timestamp(r['review_ts']):%Y-%m-%d}"
    product = first_text(r["product_name"], r["product_id"], default="unknown product")
    return (f"**{plain(first_text(r['title'], default='(no title)'))}**",
            f"{when} · {rating} · {plain(product)} · {plain(r['category'])} · "
            f"label {plain(r['label'])} (from {plain(r['label_source'])})")


def review_table(reviews: pd.DataFrame) -> pd.DataFrame:
    """sentiment_reviews rows as the review list shows them: a date column, no empty probability columns when no
    model scored any of them."""
    shown = ["date", "rating", "label", "label_source", "p_negative", "p_positive", "product_name", "category",
             "language", "title", "text", "review_id"]
    if reviews["p_positive"].isna().all():
        shown = [c for c in shown if c not in ("p_negative", "p_positive")]
    return reviews.assign(date=pd.to_datetime(reviews["review_ts"]).dt.date)[shown]


def alert_window(f: Filters, period: date | pd.Timestamp, freq: str, before: int = 12) -> Filters:
    """The charts' dates while an alert is open: the sidebar's dates widened to take in the alerted period and the
    `before` periods ahead of it (what it was compared with), so the chart shows the spike the alert names."""
    start, end = period_bounds(pd.Timestamp(period), freq)
    lead = timedelta(weeks=before) if freq == "W" else timedelta(days=31 * before)
    lo = start - lead
    new_start = lo if f.start is None or lo < f.start else f.start
    new_end = end - timedelta(days=1) if f.end is not None and end - timedelta(days=1) > f.end else f.end
    return Filters(new_start, new_end, f.categories)


def alerts_outside(alerts: ShiftAlerts, f: Filters) -> tuple[int, pd.Timestamp | None]:
    """(how many alerted periods lie before the sidebar's dates, the latest of them), for the one line that says
    earlier alerts exist."""
    if f.start is None or not alerts.periods:
        return 0, None
    flagged = pd.concat([alerts.now, alerts.past])
    early = flagged[pd.to_datetime(flagged["period"]) < pd.Timestamp(f.start)]
    return len(early), (pd.Timestamp(early["period"].max()) if len(early) else None)


def drivers_request(category: str, period: date | pd.Timestamp, freq: str) -> dict[str, str]:
    """The Drivers page's query parameters for a category and the period holding `period`: what an alert or a
    review hands over (in the link's URL, so the sidebar's state stays and the view can be shared)."""
    start, end = period_bounds(pd.Timestamp(period), freq)
    return {"category": str(category), "from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat()}


def read_drivers_request(params: dict) -> tuple[str, date, date] | None:
    """(category, first day, last day) from the Drivers page's query parameters; None when absent or malformed."""
    try:
        category, first, last = params["category"], date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
    except (KeyError, TypeError, ValueError):
        return None
    return (str(category), first, last) if first <= last else None
