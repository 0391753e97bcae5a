"""Calendar features of the periods being forecast (day of week, time of year, the shop's and the series'
country holidays from the offline `holidays` package), so the network knows a Monday from a bank holiday."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._series import SeriesSet

_ALIASES = {"eire": "IE", "usa": "US", "uk": "GB", "rsa": "ZA", "great_britain": "GB", "england": "GB",
            "scotland": "GB", "wales": "GB", "northern_ireland": "GB", "channel_islands": "JE", "czech_republic": "CZ",
            "european_community": None, "unspecified": None}
# Where a country's bank holidays differ by region and the package has no nationwide list of them, the region most
# shops are in: GB's nationwide list lacks Easter Monday and the August bank holiday, which England keeps (the real
# retail log's shop closes on both).
_SUBDIVISION = {"GB": "ENG"}


@lru_cache(maxsize=256)
def country_code(name: str | None) -> str | None:
    """ISO code the holidays package knows for a country name or code as shops write them (None if unknown)."""
    if not name:
        return None
    from holidays.registry import COUNTRIES

    key = re.sub(r"[^a-z]+", "_", str(name).strip().lower()).strip("_")
    if key in _ALIASES:
        return _ALIASES[key]
    if key in COUNTRIES:
        return COUNTRIES[key][1]
    upper = str(name).strip().upper()
    for entry in COUNTRIES.values():
        if upper in entry[1:] or key.replace("_", "") == entry[0].lower():
            return entry[1]
    return None


@lru_cache(maxsize=256)
def _holiday_names(code: str | None, first_year: int, last_year: int) -> dict[date, str]:
    """The public holidays of a country over a span of years, date -> name (empty for an unknown country)."""
    if code is None:
        return {}
    import holidays

    try:
        return dict(holidays.country_holidays(code, subdiv=_SUBDIVISION.get(code),
                                              years=range(first_year, last_year + 1)).items())
    except (NotImplementedError, KeyError):
        return {}


def _holiday_days(code: str | None, first_year: int, last_year: int) -> frozenset:
    """The public holiday dates of a country over a span of years."""
    return frozenset(_holiday_names(code, first_year, last_year))


def holidays_between(first: date, last: date, *countries: str | None) -> dict[date, str]:
    """The public holidays of the given countries (names or codes as shops write them) from first to last, date ->
    name; a day that is a holiday in several of them keeps the first country's name."""
    out: dict[date, str] = {}
    for country in countries:
        for d, name in _holiday_names(country_code(country), first.year, last.year).items():
            if first <= d <= last:
                out.setdefault(d, name)
    return dict(sorted(out.items()))


def series_country(series: SeriesSet, name: str) -> str | None:
    """The country whose calendar a series follows: its own in a country split, else the shop's."""
    return series.country_of.get(name) or series.home_country


def holiday_names(series: SeriesSet, horizon: int) -> list[dict[date, str]]:
    """Per series, its holidays (the shop's and its own country's) over the history and the horizon."""
    periods = series.periods.append(series.future_periods(horizon))
    first, last = periods[0].date(), (periods[-1] + pd.Timedelta(days=6)).date()
    return [holidays_between(first, last, series.home_country, series.country_of.get(n)) for n in series.names]


def n_features(freq: str) -> int:
    """Width of one period's feature vector."""
    return 11 if freq == "D" else 6


def calendar_features(periods: pd.DatetimeIndex, freq: str, home: str | None = None,
                      own: str | None = None) -> np.ndarray:
    """(len(periods), n_features) float32: daily = day-of-week one-hot, month as sin/cos, holiday at home, holiday
    in the series' own country; weekly = week of year and month as sin/cos, share of holiday days at home/own."""
    periods = pd.DatetimeIndex(periods)
    if len(periods) == 0:
        return np.zeros((0, n_features(freq)), dtype=np.float32)
    years = (int(periods.year.min()) - 1, int(periods.year.max()) + 1)
    home_days = _holiday_days(country_code(home), *years)
    own_days = _holiday_days(country_code(own), *years) if own else frozenset()
    month = 2 * np.pi * (periods.month.to_numpy() - 1) / 12
    if freq == "D":
        dow = np.eye(7, dtype=np.float32)[periods.dayofweek.to_numpy()]
        dates = periods.date
        hol_home = np.array([d in home_days for d in dates], dtype=np.float32)
        hol_own = np.array([d in own_days for d in dates], dtype=np.float32)
        return np.column_stack([dow, np.sin(month), np.cos(month), hol_home, hol_own]).astype(np.float32)
    week = 2 * np.pi * (periods.isocalendar().week.to_numpy(dtype=float) - 1) / 52
    share_home, share_own = [], []
    for p in periods:
        days = [(p + pd.Timedelta(days=k)).date() for k in range(7)]
        share_home.append(sum(d in home_days for d in days) / 7)
        share_own.append(sum(d in own_days for d in days) / 7)
    return np.column_stack([np.sin(week), np.cos(week), np.sin(month), np.cos(month), share_home,
                            share_own]).astype(np.float32)


def calendar_matrix(series: SeriesSet, horizon: int) -> np.ndarray:
    """(n_series, n_periods + horizon, n_features): each series' calendar over its history and the horizon (the
    series of a country split each get their own country's holidays)."""
    periods = series.periods.append(series.future_periods(horizon))
    cache: dict[str | None, np.ndarray] = {}
    rows = []
    for name in series.names:
        own = series.country_of.get(name)
        if own not in cache:
            cache[own] = calendar_features(periods, series.freq, series.home_country, own)
        rows.append(cache[own])
    return np.stack(rows)
