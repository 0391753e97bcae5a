"""Read side of sentiment: shares per period and category, category comparison, significant shifts, the reviews
behind a number, and the model registry as the Training page shows it. No Streamlit; every query is one DuckDB
statement with `?` placeholders for user-supplied values.

Label of a review (shared by every function here): the model's label from `review_sentiment` when the review has
been scored, else the label of its star rating (1–2 negative, 3 neutral, 4–5 positive; the same thresholds as
`engine.sentiment.labels_from_ratings`: <2.5, <3.5, else). Reviews with neither a score nor a rating have no
label: they are left out of shares and tests and counted by `coverage()` so the page can say so.

Dates: the sidebar's `Filters.start/end` (inclusive days) apply to `reviews.review_ts`; categories to
`coalesce(reviews.category, UNCATEGORISED)`. Periods are ISO weeks (starting Monday) or calendar months.

Shifts: a one-sided test of "the negative share in a period is higher than in the periods before it" — the
two-proportion z-test where its normal approximation holds, Fisher's exact test where the 2x2 table has a small
expected cell (weeks of small categories) — corrected for multiple testing (Benjamini–Hochberg by default, or
Bonferroni) across the tests made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy.stats import hypergeom, norm

from engine.store import (
    LABELS,
    UNCATEGORISED,
    Filters,
    Store,
    check_freq,
    filter_where,
    period_bounds,
    rating_label_sql,
)
from engine.store import (
    read_df as _df,
)
from engine.store import (
    read_rows as _rows,
)

from ._registry import REGISTRY, active_version

__all__ = [
    "LABELS",
    "TREND_FREQS",
    "CORRECTIONS",
    "Coverage",
    "data_version",
    "coverage",
    "sentiment_by_period",
    "combine_categories",
    "category_comparison",
    "two_proportion_ztest",
    "fisher_greater",
    "shift_pvalues",
    "TESTS",
    "adjust_pvalues",
    "significant_shifts",
    "shift_history",
    "period_bounds",
    "reviews_for",
    "count_reviews_for",
    "training_data",
    "language_shares",
    "UNKNOWN_LANGUAGE",
]

TREND_FREQS: dict[str, str] = {"W": "week", "M": "month"}
UNKNOWN_LANGUAGE = "unknown"  # reviews without letters to detect a language from (numbers, emoji)
CORRECTIONS: tuple[str, ...] = ("bh", "bonferroni")
TESTS: tuple[str, ...] = ("auto", "z", "exact")

# The label of a rating (engine-made SQL, no user text): the thresholds of labels_from_ratings.
_RATING_LABEL = rating_label_sql("r.rating")
_SHIFT_COLUMNS = [
    "category", "period", "period_end", "n_negative", "n", "share_negative", "n_negative_before", "n_before",
    "share_negative_before", "periods_before", "z", "test", "p_value", "p_adjusted", "tested", "significant",
]


# ----------------------------------------------------------------------------------------------- helpers




def _labelled(where: str) -> str:
    """Reviews with their label and where it came from (model | rating | NULL when neither)."""
    return f"""
        SELECT r.review_id, r.review_ts, r.product_id, r.product_name, coalesce(r.category, ?) AS category,
               r.rating, r.title, r.text, r.language, s.p_negative, s.p_neutral, s.p_positive, s.model_version,
               coalesce(s.label, {_RATING_LABEL}) AS label,
               CASE WHEN s.label IS NOT NULL THEN 'model' WHEN {_RATING_LABEL} IS NOT NULL THEN 'rating' END
                   AS label_source
        FROM reviews r LEFT JOIN review_sentiment s ON s.review_id = r.review_id
        WHERE {where}
    """


def _shares(df: pd.DataFrame) -> pd.DataFrame:
    """share_* = n_* / n (0 when n is 0): the three shares of a row sum to 1."""
    n = df["n"].astype(float)
    for label in LABELS:
        df[f"share_{label}"] = np.where(n > 0, df[f"n_{label}"] / n.where(n > 0, 1.0), 0.0)
    return df


# ---------------------------------------------------------------------------------------------- coverage


def data_version(store: Store) -> str:
    """Changes when reviews, scores or the active model change: part of the cache key of every sentiment query."""
    row = _rows(
        store,
        """SELECT (SELECT count(*) || ':' || coalesce(bit_xor(hash(batch_id)), 0) FROM uploads), (SELECT count(*) FROM reviews),
                  (SELECT count(*) FROM review_sentiment), (SELECT max(scored_at) FROM review_sentiment)""",
    )[0]
    return "|".join("" if v is None else str(v) for v in row) + "|" + REGISTRY.fingerprint(store)


@dataclass(frozen=True)
class Coverage:
    """Where the labels of the reviews in range come from."""

    n_reviews: int  # reviews in the date/category range
    n_model: int  # labelled by the model (review_sentiment)
    n_rating: int  # not scored: labelled by their star rating
    n_excluded: int  # neither scored nor rated: left out of every share
    n_undated: int  # without a review date: not placed in any period (only counted when no date filter is set)
    model_versions: tuple[str, ...]  # versions that scored these reviews
    n_not_scored_by_active: int  # reviews the active model has not scored (0 when there is no model)
    active_version: str | None


def coverage(store: Store, filters: Filters) -> Coverage:
    """How many reviews in range are labelled by the model, by their rating, or not at all."""
    where, params = _where(filters)
    active = active_version(store)
    row = _rows(
        store,
        f"""SELECT count(*), count(*) FILTER (WHERE label_source = 'model'),
                   count(*) FILTER (WHERE label_source = 'rating'), count(*) FILTER (WHERE label IS NULL),
                   count(*) FILTER (WHERE review_ts IS NULL),
                   list_sort(list_distinct(list(model_version) FILTER (WHERE model_version IS NOT NULL))),
                   count(*) FILTER (WHERE model_version IS DISTINCT FROM ?)
            FROM ({_labelled(where)})""",
        [active, UNCATEGORISED, *params],
    )[0]
    return Coverage(
        n_reviews=int(row[0]), n_model=int(row[1]), n_rating=int(row[2]), n_excluded=int(row[3]),
        n_undated=int(row[4]), model_versions=tuple(row[5] or ()),
        n_not_scored_by_active=int(row[6]) if active else 0, active_version=active,
    )


def undated_reviews(store: Store, filters: Filters) -> int:
    """Reviews of the filters' categories without a review date, whatever the dates chosen: a date range cannot
    hold them (they are counted in every figure only when no dates are set), so the page says how many there are."""
    where, params = _where(Filters(None, None, filters.categories))
    return int(_rows(store, f"SELECT count(*) FROM reviews r WHERE {where} AND r.review_ts IS NULL", params)[0][0])


# ------------------------------------------------------------------------------------------------ shares


# The aggregates both the per-period and the per-category views report, over _labelled(...) rows.
_LABEL_COUNTS = """count(*) AS n,
               count(*) FILTER (WHERE label = 'negative') AS n_negative,
               count(*) FILTER (WHERE label = 'neutral') AS n_neutral,
               count(*) FILTER (WHERE label = 'positive') AS n_positive,
               avg(rating) FILTER (WHERE NOT isnan(rating)) AS avg_rating,
               count(rating) FILTER (WHERE NOT isnan(rating)) AS n_rated,
               count(*) FILTER (WHERE label_source = 'model') AS n_model,
               avg(p_positive) AS avg_p_positive, avg(p_negative) AS avg_p_negative"""


def _counted(df: pd.DataFrame) -> pd.DataFrame:
    """Integer counts and label shares for rows aggregated with _LABEL_COUNTS."""
    for c in ("n", "n_negative", "n_neutral", "n_positive", "n_rated", "n_model"):
        df[c] = df[c].astype("int64")
    return _shares(df)


def sentiment_by_period(store: Store, filters: Filters, freq: str = "W") -> pd.DataFrame:
    """Label counts and shares per period start and category (long format), with the average star rating.

    Columns: period, category, n, n_negative, n_neutral, n_positive, share_negative, share_neutral,
    share_positive, avg_rating, n_rated, n_model, avg_p_positive, avg_p_negative (the last two over the reviews
    the model scored; NaN where none). Reviews without a label or without a date are not counted.
    """
    unit = check_freq(freq, TREND_FREQS)
    where, params = _where(filters)
    sql = f"""
        SELECT date_trunc(?, review_ts)::DATE AS period, category, {_LABEL_COUNTS}
        FROM ({_labelled(where)})
        WHERE label IS NOT NULL AND review_ts IS NOT NULL
        GROUP BY ALL ORDER BY period, category
    """
    df = _df(store, sql, [unit, UNCATEGORISED, *params])
    df["period"] = pd.to_datetime(df["period"])
    df = _counted(df)
    first = ["period", "category", "n", "n_negative", "n_neutral", "n_positive", "share_negative", "share_neutral",
             "share_positive", "avg_rating", "n_rated"]
    return df[first + [c for c in df.columns if c not in first]]


def combine_categories(df: pd.DataFrame) -> pd.DataFrame:
    """sentiment_by_period's rows summed over categories: one row per period (category 'All categories')."""
    counts = ["n", "n_negative", "n_neutral", "n_positive", "n_rated", "n_model"]
    if df.empty:
        return df.copy()
    work = df.assign(
        _rating_sum=df["avg_rating"].fillna(0.0) * df["n_rated"],
        _ppos_sum=df["avg_p_positive"].fillna(0.0) * df["n_model"],
        _pneg_sum=df["avg_p_negative"].fillna(0.0) * df["n_model"],
    )
    out = work.groupby("period", as_index=False)[counts + ["_rating_sum", "_ppos_sum", "_pneg_sum"]].sum()
    out.insert(1, "category", "All categories")
    out["avg_rating"] = (out["_rating_sum"] / out["n_rated"]).where(out["n_rated"] > 0)
    out["avg_p_positive"] = (out["_ppos_sum"] / out["n_model"]).where(out["n_model"] > 0)
    out["avg_p_negative"] = (out["_pneg_sum"] / out["n_model"]).where(out["n_model"] > 0)
    out = _shares(out.drop(columns=["_rating_sum", "_ppos_sum", "_pneg_sum"]))
    return out[df.columns.tolist()]


def category_comparison(store: Store, filters: Filters) -> pd.DataFrame:
    """Per category over the whole range: label counts and shares, average rating, average model probabilities.

    Columns: category, n, n_negative, n_neutral, n_positive, share_negative, share_neutral, share_positive,
    avg_rating, n_rated, n_model, avg_p_positive, avg_p_negative; most-reviewed category first. Undated reviews
    count here when no date filter is set.
    """
    where, params = _where(filters)
    sql = f"""
        SELECT category, {_LABEL_COUNTS}
        FROM ({_labelled(where)})
        WHERE label IS NOT NULL
        GROUP BY category ORDER BY n DESC, category
    """
    df = _df(store, sql, [UNCATEGORISED, *params])
    df = _counted(df)
    first = ["category", "n", "n_negative", "n_neutral", "n_positive", "share_negative", "share_neutral",
             "share_positive", "avg_rating", "n_rated"]
    return df[first + [c for c in df.columns if c not in first]]


# ------------------------------------------------------------------------------------------------ shifts


def two_proportion_ztest(
    x1: np.ndarray | float, n1: np.ndarray | float, x0: np.ndarray | float, n0: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """One-sided pooled two-proportion z-test of H1: x1/n1 > x0/n0. Returns (z, p); NaN where a group is empty.

    z = (p1 - p0) / sqrt(p(1-p)(1/n1 + 1/n0)) with the pooled p = (x1 + x0) / (n1 + n0); p = 1 - Phi(z).
    When the pooled share is 0 or 1 the two shares are equal: z = 0, p = 0.5.
    """
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        pooled = (x1 + x0) / (n1 + n0)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n0))
        z = np.where(se > 0, (p1 - p0) / np.where(se > 0, se, 1.0), 0.0)
    empty = (n1 <= 0) | (n0 <= 0)
    z = np.where(empty, np.nan, z)
    p = np.where(empty, np.nan, norm.sf(np.where(empty, 0.0, z)))
    return z, p


def fisher_greater(
    x1: np.ndarray | float, n1: np.ndarray | float, x0: np.ndarray | float, n0: np.ndarray | float
) -> np.ndarray:
    """One-sided Fisher exact test of H1: x1/n1 > x0/n0: P(X >= x1) for X ~ Hypergeometric(n1 + n0, x1 + x0, n1)."""
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    empty = (n1 <= 0) | (n0 <= 0)
    p = hypergeom.sf(x1 - 1, n1 + n0, x1 + x0, n1)
    return np.where(empty, np.nan, np.clip(p, 0.0, 1.0))


def shift_pvalues(
    x1: np.ndarray | float, n1: np.ndarray | float, x0: np.ndarray | float, n0: np.ndarray | float,
    test: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, p, test used) per row. 'z': the z-test; 'exact': Fisher's exact test; 'auto': the z-test where its
    normal approximation holds (every expected cell count of the 2x2 table >= 5), Fisher's exact test elsewhere.

    Why 'auto': a week of a small category has ~10 reviews, where the z-test's p-values are far too small (on the
    demo store 9% of weekly tests came out below 0.05 against a nominal 5%; the exact test gave 5.0%).
    """
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, not '{test}'")
    x1, n1, x0, n0 = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0))
    z, p_z = two_proportion_ztest(x1, n1, x0, n0)
    if test == "z":
        return z, p_z, np.full(z.shape, "z", dtype=object)
    p_x = fisher_greater(x1, n1, x0, n0)
    if test == "exact":
        return z, p_x, np.full(z.shape, "exact", dtype=object)
    n, k = n1 + n0, x1 + x0
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.minimum.reduce([n1 * k / n, n1 * (n - k) / n, n0 * k / n, n0 * (n - k) / n])
    use_z = np.nan_to_num(expected, nan=0.0) >= 5.0
    return z, np.where(use_z, p_z, p_x), np.where(use_z, "z", "exact").astype(object)


def adjust_pvalues(p: np.ndarray | list[float], method: str = "bh") -> np.ndarray:
    """Multiple-testing adjusted p-values: Benjamini–Hochberg ('bh', false discovery rate) or 'bonferroni'.

    NaN p-values (tests not made) stay NaN and do not count towards the number of tests.
    """
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, not '{method}'")
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    q = p[ok]
    if method == "bonferroni":
        out[ok] = np.minimum(q * m, 1.0)
        return out
    order = np.argsort(q)
    ranked = q[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]  # step-up: adjusted p never falls with rank
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    out[ok] = adj
    return out


def _last_day(store: Store, filters: Filters) -> date | None:
    """Last day of the range: the filter's end, else the last review date in range."""
    if filters.end is not None:
        return filters.end
    where, params = _where(filters)
    row = _rows(store, f"SELECT max(r.review_ts)::DATE FROM reviews r WHERE {where}", params)[0]
    return row[0]


def _tests(
    store: Store, filters: Filters, freq: str, min_reviews: int, baseline_periods: int | None, test: str
) -> tuple[pd.DataFrame, date | None]:
    """Every (category, complete period) against the periods before it (all of them in range, or the last N)."""
    counts = sentiment_by_period(store, filters, freq)
    last_day = _last_day(store, filters)
    if counts.empty or last_day is None:
        return pd.DataFrame(columns=[c for c in _SHIFT_COLUMNS if c not in ("p_adjusted", "significant")]), None
    # Complete periods end on or before the range's last day; the calendar grid has every period, reviewed or not.
    last_complete = None
    start = period_bounds(counts["period"].min(), freq)[0]
    grid = []
    p = start
    while True:
        p_start, p_end = period_bounds(p, freq)
        if p_end - timedelta(days=1) > last_day:
            break
        grid.append(pd.Timestamp(p_start))
        last_complete = p_start
        p = p_end
    if not grid:
        return pd.DataFrame(columns=[c for c in _SHIFT_COLUMNS if c not in ("p_adjusted", "significant")]), None
    frames = []
    for category, g in counts.groupby("category", sort=True):
        g = g.set_index("period")[["n", "n_negative"]].reindex(pd.DatetimeIndex(grid), fill_value=0)
        n, x = g["n"].to_numpy(dtype=float), g["n_negative"].to_numpy(dtype=float)
        cn, cx = np.concatenate([[0.0], np.cumsum(n)]), np.concatenate([[0.0], np.cumsum(x)])
        idx = np.arange(len(g))
        lo = np.zeros_like(idx) if baseline_periods is None else np.maximum(idx - int(baseline_periods), 0)
        n0, x0 = cn[idx] - cn[lo], cx[idx] - cx[lo]
        frames.append(pd.DataFrame({
            "category": category, "period": g.index,
            "period_end": [pd.Timestamp(period_bounds(d, freq)[1]) - pd.Timedelta(days=1) for d in g.index],
            "n_negative": x.astype("int64"), "n": n.astype("int64"),
            "n_negative_before": x0.astype("int64"), "n_before": n0.astype("int64"), "periods_before": idx - lo,
        }))
    df = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["share_negative"] = np.where(df["n"] > 0, df["n_negative"] / df["n"].where(df["n"] > 0, 1), np.nan)
        df["share_negative_before"] = np.where(
            df["n_before"] > 0, df["n_negative_before"] / df["n_before"].where(df["n_before"] > 0, 1), np.nan)
    df["tested"] = (df["n"] >= min_reviews) & (df["n_before"] >= min_reviews)
    z, p, used = shift_pvalues(df["n_negative"], df["n"], df["n_negative_before"], df["n_before"], test)
    df["z"] = np.where(df["tested"], z, np.nan)
    df["test"] = np.where(df["tested"], used, None)
    df["p_value"] = np.where(df["tested"], p, np.nan)
    return df, last_complete


def _finish(df: pd.DataFrame, alpha: float, correction: str) -> pd.DataFrame:
    df = df.copy()
    df["p_adjusted"] = adjust_pvalues(df["p_value"].to_numpy(dtype=float), correction)
    df["significant"] = df["tested"].astype(bool) & (df["p_adjusted"] < alpha) & (
        df["share_negative"] > df["share_negative_before"])
    for c in ("n_negative", "n", "n_negative_before", "n_before", "periods_before"):
        df[c] = df[c].astype("int64")
    return df[_SHIFT_COLUMNS]


def significant_shifts(
    store: Store,
    filters: Filters,
    freq: str = "W",
    alpha: float = 0.05,
    min_reviews: int = 10,
    baseline_periods: int | None = None,
    correction: str = "bh",
    test: str = "auto",
) -> pd.DataFrame:
    """Per category: is the negative share of the LAST complete period significantly above the periods before?

    Baseline: every earlier period in range (or the `baseline_periods` periods right before). A test is made only
    when both sides have at least `min_reviews` labelled reviews; p-values are corrected across the categories
    tested. The p-value is the one-sided two-proportion z-test's (`test='z'`), Fisher's exact test's
    (`test='exact'`), or by default ('auto') the z-test where its normal approximation holds and the exact test
    where a cell is small; `z` is always the z statistic. One row per category with reviews in range,
    significant ones first. Columns: category, period, period_end, n_negative, n, share_negative,
    n_negative_before, n_before, share_negative_before, periods_before, z, test, p_value, p_adjusted, tested,
    significant.
    """
    check_freq(freq, TREND_FREQS)
    df, last_complete = _tests(store, filters, freq, min_reviews, baseline_periods, test)
    if last_complete is None:
        return pd.DataFrame(columns=_SHIFT_COLUMNS)
    df = _finish(df[df["period"] == pd.Timestamp(last_complete)], alpha, correction)
    return df.sort_values(["significant", "p_value", "category"], ascending=[False, True, True],
                          na_position="last").reset_index(drop=True)


def shift_history(
    store: Store,
    filters: Filters,
    freq: str = "W",
    alpha: float = 0.05,
    min_reviews: int = 10,
    baseline_periods: int | None = None,
    correction: str = "bh",
    only_flagged: bool = True,
    test: str = "auto",
) -> pd.DataFrame:
    """Every complete period of every category against the periods before it, so past spikes are found too.

    The same test as significant_shifts, corrected across all (category, period) tests made. Returns the flagged
    rows (all tested rows with only_flagged=False), newest first.
    """
    check_freq(freq, TREND_FREQS)
    df, last_complete = _tests(store, filters, freq, min_reviews, baseline_periods, test)
    if last_complete is None:
        return pd.DataFrame(columns=_SHIFT_COLUMNS)
    df = _finish(df[df["tested"]], alpha, correction)
    if only_flagged:
        df = df[df["significant"]]
    return df.sort_values(["period", "p_value", "category"], ascending=[False, True, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------- reviews


def _review_filter(
    filters: Filters, category: str | None, period_start, freq: str, label: str | None, search: str | None,
    language: str | None = None,
) -> tuple[str, list, list]:
    """WHERE parts for reviews_for: on `r` (inner) and on the labelled rows (outer)."""
    period = period_bounds(period_start, freq) if period_start is not None else None
    where, params = _where(filters, category, period)
    outer, outer_params = ["TRUE"], []
    if language is not None:
        outer.append("language IS NOT DISTINCT FROM ?")
        outer_params.append(None if language == UNKNOWN_LANGUAGE else language)
    if label is not None:
        if label not in LABELS:
            raise ValueError(f"label must be one of {', '.join(LABELS)}, not '{label}'")
        outer.append("label = ?")
        outer_params.append(label)
    if search and search.strip():
        pattern = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cols = ("title", "text", "product_name", "product_id")
        outer.append("(" + " OR ".join(f"{c} ILIKE ? ESCAPE '\\'" for c in cols) + ")")
        outer_params += [pattern] * len(cols)
    return where, params, [" AND ".join(outer), outer_params]


def _reviews_sql(filters, category, period_start, freq, label, search, language=None) -> tuple[str, list]:
    where, params, (outer, outer_params) = _review_filter(filters, category, period_start, freq, label, search,
                                                          language)
    sql = f"""
        SELECT l.review_id, l.review_ts, l.product_id,
               coalesce(l.product_name, p.product_name) AS product_name, l.category, l.rating, l.label,
               l.label_source, l.p_negative, l.p_neutral, l.p_positive, l.model_version, l.title, l.text, l.language
        FROM ({_labelled(where)}) l
        LEFT JOIN (SELECT product_id, any_value(product_name) AS product_name FROM products GROUP BY product_id) p
            ON p.product_id = l.product_id
    """
    # product_name of the catalogue is searchable too: filter after the join
    sql = f"SELECT * FROM ({sql}) WHERE label IS NOT NULL AND {outer}"
    return sql, [UNCATEGORISED, *params, *outer_params]


def reviews_for(
    store: Store,
    filters: Filters,
    category: str | None = None,
    period_start: date | datetime | str | pd.Timestamp | None = None,
    freq: str = "W",
    label: str | None = None,
    search: str | None = None,
    limit: int = 200,
    language: str | None = None,
) -> pd.DataFrame:
    """The labelled reviews behind a chart point: in range, optionally one category, one period, one label, one
    language (UNKNOWN_LANGUAGE: those without one), containing `search` (case-insensitive, in title, text, product
    name or id), newest first.

    Columns: review_id, review_ts, product_id, product_name, category, rating, label, label_source,
    p_negative, p_neutral, p_positive, model_version, title, text, language.
    """
    check_freq(freq, TREND_FREQS)
    sql, params = _reviews_sql(filters, category, period_start, freq, label, search, language)
    return _df(store, f"{sql} ORDER BY review_ts DESC NULLS LAST, review_id LIMIT ?", [*params, max(int(limit), 0)])


def count_reviews_for(
    store: Store,
    filters: Filters,
    category: str | None = None,
    period_start: date | datetime | str | pd.Timestamp | None = None,
    freq: str = "W",
    label: str | None = None,
    search: str | None = None,
    language: str | None = None,
) -> int:
    """How many reviews reviews_for would return without its limit."""
    check_freq(freq, TREND_FREQS)
    sql, params = _reviews_sql(filters, category, period_start, freq, label, search, language)
    return int(_rows(store, f"SELECT count(*) FROM ({sql})", params)[0][0])


def language_shares(store: Store, filters: Filters, freq: str | None = None) -> pd.DataFrame:
    """The shop's language mix and each language's sentiment: labelled reviews in range per language (per period
    too when `freq` is given), with n_<label> and share_<label>; languages with the most reviews first.

    Columns: language (UNKNOWN_LANGUAGE for reviews without letters), [period,] n, n_negative, n_neutral,
    n_positive, share_negative, share_neutral, share_positive.
    """
    from ._language import fill_missing_languages

    fill_missing_languages(store)  # reviews stored before languages were detected
    where, params = _where(filters)
    by_period = freq is not None
    unit = check_freq(freq, TREND_FREQS) if by_period else None
    counts = ", ".join(f"count(*) FILTER (WHERE label = '{label}') AS n_{label}" for label in LABELS)
    df = _df(store, f"""
        SELECT coalesce(language, ?) AS language, {'date_trunc(?, review_ts)::DATE AS period, ' if by_period else ''}
               count(*) AS n, {counts}
        FROM ({_labelled(where)}) WHERE label IS NOT NULL {'AND review_ts IS NOT NULL' if by_period else ''}
        GROUP BY ALL""", [UNKNOWN_LANGUAGE, *([unit] if by_period else []), UNCATEGORISED, *params])
    if by_period:
        df["period"] = pd.to_datetime(df["period"])
    order = ["language", "period"] if by_period else ["language"]
    df = df.assign(_total=df.groupby("language")["n"].transform("sum"))
    df = df.sort_values(["_total", *order], ascending=[False] + [True] * len(order))
    return _shares(df.drop(columns="_total").reset_index(drop=True))


def training_data(store: Store) -> dict:
    """What a training run would learn from: reviews, rated reviews with some text, and their labels' counts."""
    row = _rows(
        store,
        f"""SELECT count(*), count(*) FILTER (WHERE lab IS NOT NULL AND has_text),
                   count(*) FILTER (WHERE lab = 'negative' AND has_text),
                   count(*) FILTER (WHERE lab = 'neutral' AND has_text),
                   count(*) FILTER (WHERE lab = 'positive' AND has_text)
            FROM (SELECT {_RATING_LABEL} AS lab,
                         coalesce(trim(r.title), '') <> '' OR coalesce(trim(r.text), '') <> '' AS has_text
                  FROM reviews r)""",
    )[0]
    return {"n_reviews": int(row[0]), "n_rated": int(row[1]),
            "labels": {"negative": int(row[2]), "neutral": int(row[3]), "positive": int(row[4])}}


def _where(filters: Filters, category: str | None = None, period: tuple[date, date] | None = None) -> tuple[str, list]:
    """WHERE clause on reviews `r`: the filters' inclusive days, categories, and an optional [start, end) period."""
    return filter_where("r.review_ts", filters, category_column="r.category", category=category, period=period)
