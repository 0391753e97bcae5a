"""Days a series is closed, learned from its own history, so they are forecast as exactly zero with a zero-width
band instead of "between -10,000 and 13,000" on a day the shop has never opened:

- a weekday that was zero on at least 7 of its last 8 occurrences (the shop does not trade that day), for a series
  that trades on most of its other days (an intermittent series' empty days are not closures: its hurdle below
  puts the band's foot at zero instead);
- a public holiday that was zero every time it fell in the history, or any public holiday when every one seen
  (3 or more, on days it trades) was zero, for a series that usually trades;
- a day exactly 52 weeks after a closure of 4 or more zero days in a row (the shop's Christmas break), for a
  series that usually trades.

Only sales metrics have closed days: a day without reviews is missing, not zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

WEEKS_SEEN = 8  # occurrences of a weekday looked at
ZERO_SHARE = 7 / 8  # of them zero: closed
USUALLY_OPEN = 0.25  # a series trades "usually" when at most this share of its open days were zero lately
CLOSURE_RUN = 4  # zero days in a row that make a closure worth repeating a year later
DAY_NAMES = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


@dataclass
class ClosedDays:
    """Which forecast periods of each series are closed, and why (for the page)."""

    mask: np.ndarray  # (n_series, horizon) bool
    weekdays: list[tuple[int, ...]] = field(default_factory=list)  # per series: closed weekdays (0 = Monday)
    holidays: list[dict[date, str]] = field(default_factory=list)  # per series: closed holidays ahead, by name
    closures: list[list[date]] = field(default_factory=list)  # per series: days closed a year before

    def reason(self, i: int) -> str | None:
        """One sentence for series i ('closed on Saturdays, learned from your orders'), None if never closed."""
        parts = []
        if self.weekdays[i]:
            parts.append("on " + _join([DAY_NAMES[d] for d in self.weekdays[i]]))
        if self.holidays[i]:
            names = list(dict.fromkeys(self.holidays[i].values()))
            parts.append("on " + _join(names))
        if self.closures[i]:
            days = sorted(self.closures[i])
            parts.append(f"{days[0]:%d %b} – {days[-1]:%d %b} (closed then a year ago)")
        return ("closed " + "; ".join(parts) + ", learned from your orders") if parts else None


def _join(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def closed_weekdays(hist: np.ndarray, periods: pd.DatetimeIndex) -> tuple[int, ...]:
    """Weekdays zero on at least 7 of their last 8 occurrences (needs 4 occurrences to judge)."""
    dows = periods.dayofweek.to_numpy()
    closed = []
    for d in range(7):
        seen = hist[dows == d][-WEEKS_SEEN:]
        seen = seen[np.isfinite(seen)]
        if len(seen) >= 4 and (seen == 0).sum() >= math.ceil(ZERO_SHARE * len(seen)):
            closed.append(d)
    return tuple(closed)


def _usually_open(hist: np.ndarray, periods: pd.DatetimeIndex, weekdays: tuple[int, ...]) -> bool:
    """Whether the series traded on most of its open days of the last 8 weeks (an intermittent series' zero on a
    holiday says nothing about the holiday)."""
    recent = slice(max(0, len(hist) - 7 * WEEKS_SEEN), len(hist))
    open_days = ~np.isin(periods[recent].dayofweek.to_numpy(), weekdays)
    y = hist[recent][open_days]
    return len(y) > 0 and float((y == 0).mean()) <= USUALLY_OPEN


def _zero_runs(hist: np.ndarray, periods: pd.DatetimeIndex) -> set[date]:
    """Days inside runs of at least CLOSURE_RUN zero days in a row."""
    out: set[date] = set()
    run: list[int] = []
    for t, v in enumerate(np.append(hist, np.nan)):
        if v == 0:
            run.append(t)
            continue
        if len(run) >= CLOSURE_RUN:
            out.update(periods[k].date() for k in run)
        run = []
    return out


def learn_closed(values: np.ndarray, periods: pd.DatetimeIndex, cut: int, ahead: pd.DatetimeIndex,
                 holidays_of: list[dict[date, str]], sales: bool = True, freq: str = "D") -> ClosedDays:
    """Closed periods among `ahead` for every series, learned from `values[:, :cut]` (history up to the cut only,
    so a backtest never peeks). `holidays_of[i]` maps series i's holiday dates (history and ahead) to names."""
    n, h = values.shape[0], len(ahead)
    empty = ClosedDays(np.zeros((n, h), dtype=bool), [()] * n, [{} for _ in range(n)], [[] for _ in range(n)])
    if not sales or freq != "D" or cut < 7:
        return empty
    past = periods[:cut]
    past_days = set(past.date)
    ahead_days = list(ahead.date)
    dows = ahead.dayofweek.to_numpy()
    out = empty
    for i in range(n):
        hist = values[i, :cut]
        weekdays = closed_weekdays(hist, past)
        if not weekdays or len(weekdays) == 7 or not _usually_open(hist, past, weekdays):
            continue  # an intermittent series' empty weekdays are its hurdle's business, not a closure
        zero_on = {d for d, v in zip(past.date, hist) if v == 0}
        names = holidays_of[i] if i < len(holidays_of) else {}
        by_name: dict[str, list[date]] = {}
        for d, name in names.items():
            if d in past_days:
                by_name.setdefault(name, []).append(d)
        out.weekdays[i] = weekdays
        out.mask[i] = np.isin(dows, weekdays)
        closures = _zero_runs(hist, past)
        # a shop that was closed on every holiday it has seen (3 or more on days it trades) closes on the rest too
        seen_open = [d for ds in by_name.values() for d in ds if d.weekday() not in weekdays]
        all_holidays = len(seen_open) >= 3 and all(d in zero_on for d in seen_open)
        for k, d in enumerate(ahead_days):
            if out.mask[i, k]:
                continue
            name = names.get(d)
            seen = by_name.get(name, []) if name else []
            if name and (all_holidays or (seen and all(s in zero_on for s in seen))):
                out.mask[i, k] = True
                out.holidays[i][d] = name
            elif d - timedelta(weeks=52) in closures:
                out.mask[i, k] = True
                out.closures[i].append(d)
    return out


def zero_share(values: np.ndarray, periods: pd.DatetimeIndex, cut: int, ahead: pd.DatetimeIndex, season: int,
               holidays_of: list[dict[date, str]] | None = None) -> np.ndarray:
    """(n_series, horizon): the share of zero periods among the last 8 in the same season position (weekday) as
    each period ahead, holidays left out: the chance of an empty period a hurdle model gives it."""
    n = values.shape[0]
    m = season if 1 < season <= 7 else 1
    k = max(1, min(WEEKS_SEEN, cut // m))
    lo = cut - k * m
    zero = (values[:, lo:cut] == 0).astype(float)
    for i, days in enumerate(holidays_of or []):  # a bank holiday's zero says nothing about the weekday
        off = np.isin(periods[lo:cut].date, list(days)) if days else np.zeros(cut - lo, dtype=bool)
        zero[i, off] = np.nan
    with np.errstate(invalid="ignore"):
        share = np.nan_to_num(np.nanmean(zero.reshape(n, k, m), axis=1))  # (n, m): by position in the season
    pos = np.arange(len(ahead)) + cut  # period cut + s sits in the same position as cut + s - k*m
    return share[:, (pos - lo) % m]


def hurdle(fc: np.ndarray, p_zero: np.ndarray, nonneg: np.ndarray) -> np.ndarray:
    """Quantiles of a series with a mass of zeros (a hurdle model's): for a non-negative series, a quantile at a
    level no higher than the chance of an empty period is zero (p10 where at least 1 in 10 recent same weekdays
    were empty, p50 where half were), so an intermittent series' band reaches down to the zeros it has."""
    out = np.array(fc, dtype=float, copy=True)
    rows = np.asarray(nonneg, dtype=bool)[:, None]
    h = out.shape[1]
    for k, level in ((0, 0.1), (1, 0.5)):
        out[..., k] = np.where(rows & (p_zero[:, :h] >= level), 0.0, out[..., k])
    out[..., 0] = np.minimum(out[..., 0], out[..., 1])
    return out


def apply_closed(fc: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """A copy of `fc` (n, horizon, k) with every column of the closed periods set to exactly zero."""
    out = np.array(fc, dtype=float, copy=True)
    out[mask[:, : out.shape[1]]] = 0.0
    return out
