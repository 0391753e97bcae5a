"""Series builder: one DuckDB statement turns orders or reviews into a periods x series matrix (zeros for days
without sales, NaN for periods without reviews), with the tail beyond the top N pooled so totals still add up.

Order lines follow the Overview's revenue rules (engine.store's REVENUE_LINE_SQL / PURCHASE_LINE_SQL, shared with
engine.analytics): a line counts unless its order is cancelled,
returns and credit notes (negative quantity) always count so they reduce revenue and units; an order counts when
it is not cancelled and has a line with a positive quantity. A review's label is the sentiment model's when it has
been scored, else its star rating's (engine.store.rating_label_sql); its sentiment score is p_positive - p_negative
when scored, else (rating - 3) / 2, both in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from engine.models import InsufficientDataError
from engine.store import (
    PURCHASE_LINE_SQL,
    REVENUE_LINE_SQL,
    UNCATEGORISED,
    Store,
    rating_label_sql,
    read_df,
)

from ._config import FREQS, OTHER, TOTAL, ForecastConfig

COUNTS, PURCHASE = REVENUE_LINE_SQL, PURCHASE_LINE_SQL  # which lines count; what a purchase is
# Sums of doubles are summed as exact decimals: DuckDB adds doubles in parallel in no fixed order, so the same data
# would give sums that differ in their last bits from one read to the next, and a forecast fingerprinted on them
# would call itself "made on older data" right after it was made.
_AGG = {
    "revenue": f"sum(revenue::DECIMAL(38, 6)) FILTER (WHERE {COUNTS})::DOUBLE",
    "units": f"sum(quantity::DECIMAL(38, 6)) FILTER (WHERE {COUNTS})::DOUBLE",
    "orders": f"count(DISTINCT order_id) FILTER (WHERE {PURCHASE})",
    "negative_share": "avg(CASE WHEN label = 'negative' THEN 1.0 WHEN label IS NOT NULL THEN 0.0 END)",
    "sentiment": "avg(score::DECIMAL(38, 12))::DOUBLE",
}
_RANK = {"revenue": _AGG["revenue"], "units": _AGG["units"], "orders": _AGG["orders"],
         "negative_share": "count(label)", "sentiment": "count(score)"}
_SOURCES = {
    "orders": "SELECT order_ts AS ts, {key} AS key, revenue, quantity, order_id, status FROM orders "
              "WHERE order_ts IS NOT NULL",
    "reviews": "SELECT r.review_ts AS ts, {key} AS key, coalesce(s.label, " + rating_label_sql("r.rating") + ") AS label, "
               "coalesce(s.p_positive - s.p_negative, (r.rating - 3) / 2) AS score "
               "FROM reviews r LEFT JOIN review_sentiment s USING (review_id) WHERE r.review_ts IS NOT NULL",
}
SPARSE_SHARE = 0.5  # a series with more empty periods than this is marked sparse


def missing_label(column: str) -> str:
    """What a NULL value of the split column is called (the Overview's name for no category)."""
    return UNCATEGORISED if column == "category" else f"(no {column})"


@dataclass
class SeriesSet:
    """Equally long series on one period grid: `values[i]` is series `names[i]`; the first is the total."""

    names: list[str]
    periods: pd.DatetimeIndex
    values: np.ndarray  # (n_series, n_periods), float; NaN = no observation (reviews only)
    freq: str
    metric: str = "revenue"
    by: str = TOTAL
    top_keys: list[str] = field(default_factory=list)  # the split values kept as their own series
    country_of: dict[str, str] = field(default_factory=dict)  # series -> country, for its holidays
    home_country: str | None = None

    @property
    def sparse(self) -> np.ndarray:
        """Series marked sparse: more than half their periods empty (zero sales or no reviews)."""
        empty = np.isnan(self.values) | (self.values == 0)
        return empty.mean(axis=1) > SPARSE_SHARE

    @property
    def bottom(self) -> list[int]:
        """Indices of the split series (everything but the total)."""
        return [i for i, n in enumerate(self.names) if n != TOTAL]

    def additive(self) -> bool:
        """Whether the split series add up to the total on the history (revenue, units; not distinct orders)."""
        if not self.bottom or self.metric not in ("revenue", "units", "orders"):
            return False
        total, parts = self.values[0], self.values[self.bottom].sum(axis=0)
        return bool(np.allclose(parts, total, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(total).max()))))

    def data_hash(self) -> str:
        """Fingerprint of the request's data (names, periods, values): a saved forecast is current while it matches."""
        import hashlib

        h = hashlib.sha256("|".join([self.metric, self.by, self.freq, *self.names]).encode("utf-8"))
        h.update(np.asarray(self.periods.asi8).tobytes())
        h.update(np.ascontiguousarray(np.nan_to_num(self.values, nan=-1e300)).tobytes())
        return h.hexdigest()[:16]

    def future_periods(self, horizon: int) -> pd.DatetimeIndex:
        """The next `horizon` period starts after the history."""
        step = pd.Timedelta(days=1 if self.freq == "D" else 7)
        return pd.DatetimeIndex([self.periods[-1] + step * (h + 1) for h in range(horizon)])

    def to_frame(self) -> pd.DataFrame:
        """Long format (series, ts, y), the edge format of the CLI and the app."""
        n, t = self.values.shape
        return pd.DataFrame({"series": np.repeat(self.names, t), "ts": np.tile(self.periods, n),
                             "y": self.values.reshape(-1)})

    @classmethod
    def from_frame(cls, df: pd.DataFrame, freq: str, metric: str = "revenue", by: str = TOTAL,
                   series_col: str = "series", ts_col: str = "ts", y_col: str = "y") -> SeriesSet:
        """Build from a long frame (configurable column names), series in the frame's order with 'total' first."""
        for col in (series_col, ts_col, y_col):
            if col not in df.columns:
                raise ValueError(f"the history has no column '{col}' (columns: {', '.join(map(str, df.columns))})")
        if freq not in FREQS:
            raise ValueError(f"unknown frequency '{freq}'; choose one of: {', '.join(FREQS)}")
        wide = df.pivot_table(index=ts_col, columns=series_col, values=y_col, aggfunc="sum", dropna=False)
        wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
        grid = pd.date_range(wide.index.min(), wide.index.max(), freq="D" if freq == "D" else "7D")
        wide = wide.reindex(grid)
        wide.columns = list(map(str, wide.columns))
        seen = list(dict.fromkeys(map(str, df[series_col])))  # the frame's own order, the total first
        names = sorted(seen, key=lambda n: n != TOTAL)
        return cls(names, grid, wide[names].to_numpy(dtype=float).T, freq, metric, by)


def _key_expr(config: ForecastConfig) -> tuple[str, list]:
    """SQL for a line's series key (a whitelisted column, never user text) and its parameters."""
    if config.by == TOTAL:
        return "?", [TOTAL]
    col = f'r."{config.by}"' if config.table == "reviews" else f'"{config.by}"'
    return f"coalesce(CAST({col} AS VARCHAR), ?)", [missing_label(config.by)]


def _query(store: Store, config: ForecastConfig, pooled: bool) -> pd.DataFrame:
    """(period, series, y) rows: the split with everything beyond the top N as OTHER, or the total."""
    key, key_params = _key_expr(config) if pooled else ("?", [TOTAL])
    source = _SOURCES[config.table].format(key=key)
    unit = FREQS[config.freq]
    sql = f"""
        WITH base AS ({source}),
        top AS (SELECT key, {_RANK[config.metric]} AS v FROM base GROUP BY key
                ORDER BY v DESC NULLS LAST, key LIMIT ?)
        SELECT date_trunc(?, ts)::DATE AS period,
               CASE WHEN key IN (SELECT key FROM top) THEN key ELSE ? END AS series,
               {_AGG[config.metric]} AS y
        FROM base GROUP BY ALL ORDER BY period, series
    """
    return read_df(store, sql, [*key_params, int(config.top_n), unit, OTHER])


def _data_days(store: Store, table: str) -> tuple[date, date] | None:
    """First and last day with data in the metric's table."""
    col = "order_ts" if table == "orders" else "review_ts"
    cur = store.cursor()
    try:
        lo, hi = cur.execute(f"SELECT min({col})::DATE, max({col})::DATE FROM {table}").fetchone()
    finally:
        cur.close()
    return None if lo is None else (lo, hi)


def _home_country(store: Store) -> str | None:
    """The country with the most order lines: the shop's own, whose holidays apply to every series."""
    cur = store.cursor()
    try:
        row = cur.execute("SELECT country FROM orders WHERE country IS NOT NULL GROUP BY country "
                          "ORDER BY count(*) DESC, country LIMIT 1").fetchone()
    finally:
        cur.close()
    return None if row is None else str(row[0])


def build_series(store: Store, config: ForecastConfig, end: date | None = None) -> SeriesSet:
    """The request's series from the store: the total first, then the top N split values, then OTHER."""
    config.validate()
    days = _data_days(store, config.table)
    if days is None:
        raise InsufficientDataError(f"there are no {config.table} with a date to forecast {config.metric} from")
    first, last = days
    if end is not None:
        last = min(last, end)
    if config.freq == "W":  # only whole weeks: a partial first or last week would look like a collapse
        first = first + timedelta(days=(7 - first.weekday()) % 7)
        last = last - timedelta(days=(last.weekday() + 1) % 7)
    if last < first:
        raise InsufficientDataError(f"the {config.table} do not span one whole {FREQS[config.freq]}")
    frames = [_query(store, config, pooled=False)]
    if config.by != TOTAL:
        frames.append(_query(store, config, pooled=True))
    long = pd.concat(frames, ignore_index=True)
    long["period"] = pd.to_datetime(long["period"])
    grid = pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="D" if config.freq == "D" else "7D")
    wide = long.pivot_table(index="period", columns="series", values="y", aggfunc="sum").reindex(grid)
    fill = 0.0 if config.table == "orders" else np.nan
    split = [c for c in wide.columns if c not in (TOTAL, OTHER)]
    split.sort(key=lambda c: -np.nansum(np.abs(wide[c].to_numpy(dtype=float))))
    names = [TOTAL, *split, *([OTHER] if OTHER in wide.columns else [])]
    values = wide.reindex(columns=names).to_numpy(dtype=float).T
    if config.table == "orders":
        values = np.nan_to_num(values, nan=fill)
    home = _home_country(store) if config.table == "orders" else None
    country_of = {n: n for n in split} if config.by == "country" else {}
    return SeriesSet(names, grid, values, config.freq, config.metric, config.by, split, country_of, home)


def series_filter(by: str, top_keys: list[str], name: str, table: str) -> tuple[str, list]:
    """WHERE fragment (and parameters) selecting the rows behind one series, for drill-down to its lines."""
    if name == TOTAL or by == TOTAL:
        return "TRUE", []
    col = f'"{by}"' if table == "orders" else f'r."{by}"'
    key = f"coalesce(CAST({col} AS VARCHAR), ?)"
    if name == OTHER:
        return f"NOT list_contains(?::VARCHAR[], {key})", [list(top_keys), missing_label(by)]
    return f"{key} = ?", [missing_label(by), name]


def rows_behind(store: Store, config: ForecastConfig, name: str, period: date | datetime | pd.Timestamp,
                top_keys: list[str] | None = None, limit: int = 500) -> pd.DataFrame:
    """The order lines (or reviews) of one series in one period: what an anomaly is made of.

    `top_keys` are the split values that have their own series (the rest make up OTHER); by default every
    series name of the request except the total and OTHER.
    """
    config.validate()
    if top_keys is None:
        top_keys = [n for n in build_series(store, config).names if n not in (TOTAL, OTHER)]
    if config.table == "reviews":
        ts, select = "r.review_ts", ("SELECT r.*, s.label AS model_label, s.p_negative, s.p_positive FROM reviews r "
                                     "LEFT JOIN review_sentiment s USING (review_id)")
        order = "r.review_ts, r.review_id"
    else:
        ts, select, order = "order_ts", "SELECT * FROM orders", "order_ts, order_id, line_no"
    start = datetime.combine(pd.Timestamp(period).date(), time())
    stop = start + timedelta(days=1 if config.freq == "D" else 7)
    where, params = series_filter(config.by, top_keys, name, config.table)
    sql = f"{select} WHERE {ts} >= ? AND {ts} < ? AND {where} ORDER BY {order} LIMIT ?"
    return read_df(store, sql, [start, stop, *params, max(int(limit), 0)])
