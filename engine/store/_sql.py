"""The rules every query shares, written once: the page filters as a WHERE clause, period buckets, the rating →
label rule (in SQL and in numpy) and the text a sentiment model reads (in SQL and in Python)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

UNCATEGORISED = "(no category)"
LABELS: tuple[str, ...] = ("negative", "neutral", "positive")
NEGATIVE_BELOW, NEUTRAL_BELOW = 2.5, 3.5  # 1–2 stars negative, 3 neutral, 4–5 positive (rescaled ratings too)
PERIOD_FREQS: dict[str, str] = {"D": "day", "W": "week", "M": "month"}
# Dates a shop's data can plausibly have: from 1990 to a year from today. A stored date outside (a misread year 0005,
# a typo'd 9999) is left out of every period rather than breaking the page that tries to draw it; the app counts such
# rows in the sidebar so they are never hidden silently.
PLAUSIBLE_FROM = date(1990, 1, 1)
# Revenue rules shared by every sales figure: a line counts towards revenue unless its order is cancelled (returns,
# negative lines, always count, so they reduce revenue); a purchase line is a positive line of an order that is not
# cancelled (orders, AOV, customers, repeat rate, and the models' purchases).
REVENUE_LINE_SQL = "(status IS DISTINCT FROM 'cancelled' OR quantity < 0)"
PURCHASE_LINE_SQL = "(status IS DISTINCT FROM 'cancelled' AND quantity > 0)"
# Statuses of an order the merchant got back. A purchase line with one of them was bought but not kept: the
# recommender leaves such lines out of what a customer likes, and the churn features count them as returns. The
# sales figures keep refunded and returned lines (the money moved; a refund shows as its own negative line where the
# platform writes one).
GIVEN_BACK_STATUSES: tuple[str, ...] = ("cancelled", "refunded", "returned")


@dataclass(frozen=True)
class Filters:
    """What every page looks at: an inclusive date range (None = open end) and categories (empty = all)."""

    start: date | None = None
    end: date | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        object.__setattr__(self, "categories", tuple(sorted(set(self.categories))))


def day_start(d: date | datetime | str | "pd.Timestamp") -> datetime:
    """A day (or timestamp) as the naive UTC timestamp the TIMESTAMP columns are compared with."""
    if isinstance(d, datetime):
        if d.tzinfo is not None:
            from datetime import timezone

            d = d.astimezone(timezone.utc).replace(tzinfo=None)
        return d
    if isinstance(d, date):
        return datetime.combine(d, time())
    import pandas as pd

    ts = pd.Timestamp(d)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def plausible_until() -> date:
    """The last plausible day: a year from today."""
    return date.today() + timedelta(days=366)


def plausible_sql(ts_column: str) -> tuple[str, list]:
    """WHERE clause and parameters keeping only rows whose timestamp lies in the plausible range."""
    return f"({ts_column} >= ? AND {ts_column} < ?)", [day_start(PLAUSIBLE_FROM), day_start(plausible_until())]


def filter_where(ts_column: str, filters: Filters | None = None, *, start: date | None = None,
                 end: date | None = None, category_column: str = "category", category: str | None = None,
                 period: tuple[date | datetime, date | datetime] | None = None) -> tuple[str, list]:
    """WHERE clause and parameters for rows of one table (columns are the engine's own names, never user text).

    `filters` gives inclusive days and categories (`start`/`end` override its days); `category` narrows to one
    category (NULL counts as UNCATEGORISED); `period` adds a half-open [start, end).
    """
    filters = filters or Filters()
    start = filters.start if start is None else start
    end = filters.end if end is None else end
    parts, params = ["TRUE"], []
    if start is None and end is None:  # undated rows stay in; implausibly dated ones are out of every range
        parts.append(f"({ts_column} IS NULL OR ({ts_column} >= ? AND {ts_column} < ?))")
        params += [day_start(PLAUSIBLE_FROM), day_start(plausible_until())]
    else:
        lo, hi = day_start(PLAUSIBLE_FROM), day_start(plausible_until()) + timedelta(days=1)
        if start is not None:
            lo = max(lo, day_start(start))
        if end is not None and day_start(end) < hi - timedelta(days=1):  # (date.max + 1 day would overflow)
            hi = day_start(end) + timedelta(days=1)
        parts.append(f"{ts_column} >= ? AND {ts_column} < ?")
        params += [lo, hi]
    if filters.categories:
        parts.append(f"list_contains(?::VARCHAR[], coalesce({category_column}, ?))")
        params += [list(filters.categories), UNCATEGORISED]
    if category is not None:
        parts.append(f"coalesce({category_column}, ?) = ?")
        params += [UNCATEGORISED, category]
    if period is not None:
        parts.append(f"{ts_column} >= ? AND {ts_column} < ?")
        params += [day_start(period[0]), day_start(period[1])]
    return " AND ".join(parts), params


def clamp_range(start: date, end: date) -> tuple[date, date]:
    """An inclusive day range narrowed to the plausible dates (so period arithmetic never leaves the calendar)."""
    return max(start, PLAUSIBLE_FROM), min(end, plausible_until())


def check_freq(freq: str, allowed: Sequence[str] = ("D", "W", "M")) -> str:
    """The DuckDB date_trunc part of a frequency code (D/W/M), refusing any other."""
    if freq not in allowed:
        raise ValueError(f"freq must be one of {', '.join(allowed)}, not '{freq}'")
    return PERIOD_FREQS[freq]


def period_bounds(period: date | datetime | str | "pd.Timestamp", freq: str) -> tuple[date, date]:
    """[start, end) days of the day, week (Monday..Sunday) or month that contains `period`."""
    check_freq(freq)
    d = day_start(period).date()
    if freq == "D":
        return d, d + timedelta(days=1)
    if freq == "W":
        start = d - timedelta(days=d.weekday())
        return start, start + timedelta(days=7)
    start = d.replace(day=1)
    return start, date(start.year + (start.month == 12), start.month % 12 + 1, 1)


def rating_label_sql(rating: str = "r.rating") -> str:
    """The label of a rating column in SQL (engine-made, no user text): the thresholds of `label_index`."""
    return (f"CASE WHEN {rating} IS NULL OR isnan({rating}) THEN NULL WHEN {rating} < {NEGATIVE_BELOW} THEN "
            f"'negative' WHEN {rating} < {NEUTRAL_BELOW} THEN 'neutral' ELSE 'positive' END")


def label_index(ratings: "Sequence[float] | np.ndarray") -> "np.ndarray":
    """Ratings -> 0/1/2 (negative, neutral, positive); NaN -> -1."""
    import numpy as np

    r = np.asarray(ratings, dtype=float)
    out = np.where(r < NEGATIVE_BELOW, 0, np.where(r < NEUTRAL_BELOW, 1, 2))
    return np.where(np.isnan(r), -1, out).astype(np.int64)


def labels_from_ratings(ratings: "Sequence[float | None] | np.ndarray | pd.Series") -> list[str | None]:
    """Star rating -> label name; None stays None."""
    import pandas as pd

    idx = label_index(pd.to_numeric(pd.Series(list(ratings), dtype=object), errors="coerce").to_numpy(dtype=float))
    return [LABELS[i] if i >= 0 else None for i in idx]


def compose_text(title: object, text: object) -> str:
    """Title and body as one input, because titles often carry the verdict ("Runs small!")."""
    parts = [str(p).strip() for p in (title, text) if isinstance(p, str) and p.strip()]
    if len(parts) == 2 and parts[0][-1] not in ".!?:;":
        return f"{parts[0]}. {parts[1]}"
    return " ".join(parts)


def model_text_sql(alias: str = "r") -> str:
    """compose_text in SQL, for searching: title and body always separated by a punctuation mark, so a two-word
    term never spans them."""
    return (f"CASE WHEN nullif(trim({alias}.title), '') IS NULL THEN coalesce(trim({alias}.text), '') "
            f"WHEN nullif(trim({alias}.text), '') IS NULL THEN trim({alias}.title) "
            f"ELSE trim({alias}.title) || ' . ' || trim({alias}.text) END")
