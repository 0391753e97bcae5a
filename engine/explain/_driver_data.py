"""Drivers over the database: the reviews of a category and period (and of the period before it) fed to
`category_drivers`, cached per model version; one review by id; the reviews that contain a driver.

No Streamlit. Every query is one DuckDB statement with `?` placeholders for user-supplied values (category, ids,
dates, terms). Periods are half-open day ranges [start, end); the previous period is [start - (end - start), start).
The text the model reads (and the drivers are computed from) is `engine.store.compose_text(title, text)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd

from engine.models import Engine
from engine.sentiment import REGISTRY as SENTIMENT
from engine.store import (
    UNCATEGORISED,
    Store,
    compose_text,
    day_start,
    filter_where,
    model_text_sql,
    plausible_sql,
    rating_label_sql,
)
from engine.store import read_df as _df

from ._attributions import SentimentLike
from ._drivers import cached_drivers, category_drivers
from ._words import is_cjk


DRIVER_STEPS = 16  # IG steps per review for drivers (explain.category_drivers' default)
_MODEL_TEXT = model_text_sql("r")  # only used to *search*
# Label as the app shows it: the model's score when there is one, else the star rating's label.
_LABEL = f"coalesce(s.label, {rating_label_sql('r.rating')})"


def previous_period(start: date | datetime, end: date | datetime) -> tuple[datetime, datetime]:
    """The period of the same length right before [start, end)."""
    s, e = day_start(start), day_start(end)
    if e <= s:
        raise ValueError(f"empty period: end {e:%Y-%m-%d} is not after start {s:%Y-%m-%d}")
    return s - (e - s), s


def _where(category: str | None, start, end) -> tuple[str, list]:
    """Reviews `r` of one category (None: every category) in [start, end)."""
    return filter_where("r.review_ts", period=(start, end), category_column="r.category", category=category)

def review_text(store: Store, review_id: str) -> dict[str, Any] | None:
    """One review with the text the model reads (`model_text`), its stored score and label; None if unknown.

    Keys: review_id, review_ts, product_id, product_name, category, rating, title, text, model_text, label,
    label_source ('model' | 'rating' | None), p_negative, p_neutral, p_positive, model_version.
    """
    if review_id is None or not str(review_id).strip():
        return None
    df = _df(store, f"""
        SELECT r.review_id, r.review_ts, r.product_id, coalesce(r.product_name, p.product_name) AS product_name,
               coalesce(r.category, ?) AS category, r.rating, r.title, r.text, {_LABEL} AS label,
               CASE WHEN s.label IS NOT NULL THEN 'model' WHEN {_LABEL} IS NOT NULL THEN 'rating' END AS label_source,
               s.p_negative, s.p_neutral, s.p_positive, s.model_version
        FROM reviews r
        LEFT JOIN review_sentiment s ON s.review_id = r.review_id
        LEFT JOIN (SELECT product_id, any_value(product_name) AS product_name FROM products GROUP BY product_id) p
            ON p.product_id = r.product_id
        WHERE r.review_id = ?
        ORDER BY r.review_ts DESC NULLS LAST
        LIMIT 1""", [UNCATEGORISED, str(review_id).strip()])
    if df.empty:
        return None
    row = {k: (None if _missing(v) else v) for k, v in df.iloc[0].to_dict().items()}
    row["model_text"] = compose_text(row["title"], row["text"])
    return row


def _missing(v: object) -> bool:
    try:
        return v is None or bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# ------------------------------------------------------------------------------------------------- drivers


def review_bounds(store: Store, category: str | None = None) -> tuple[date, date] | None:
    """First and last review day (of one category), None when there are no dated reviews."""
    where, params = ("TRUE", []) if category is None else ("coalesce(r.category, ?) = ?", [UNCATEGORISED, category])
    plausible, more = plausible_sql("r.review_ts")
    where, params = f"{where} AND {plausible}", params + more
    cur = store.cursor()
    try:
        lo, hi = cur.execute(f"SELECT min(r.review_ts), max(r.review_ts) FROM reviews r WHERE {where}",
                             params).fetchone()
    finally:
        cur.close()
    return None if lo is None or hi is None else (pd.Timestamp(lo).date(), pd.Timestamp(hi).date())


def period_reviews(store: Store, category: str | None, start, end) -> pd.DataFrame:
    """review_id and model text of the reviews of a category in [start, end) that have some text, by id."""
    where, params = _where(category, start, end)
    df = _df(store, f"SELECT r.review_id, r.title, r.text FROM reviews r WHERE {where} "
                    "AND (coalesce(trim(r.title), '') <> '' OR coalesce(trim(r.text), '') <> '') "
                    "ORDER BY r.review_id, r.review_ts", params)
    texts = [compose_text(a, b) for a, b in zip(df["title"], df["text"])]
    return pd.DataFrame({"review_id": df["review_id"].astype(str), "text": texts})


def count_reviews(store: Store, category: str | None, start, end) -> int:
    """How many reviews with text drivers_for would draw its sample from."""
    where, params = _where(category, start, end)
    cur = store.cursor()
    try:
        return int(cur.execute(
            f"SELECT count(*) FROM reviews r WHERE {where} "
            "AND (coalesce(trim(r.title), '') <> '' OR coalesce(trim(r.text), '') <> '')", params).fetchone()[0])
    finally:
        cur.close()


class _NotCached(Exception):
    """Raised inside cached_drivers' fn to peek at the cache without computing."""


def _digest(*frames: pd.DataFrame) -> str:
    """Fingerprint of the reviews a computation reads: new, edited or deleted reviews make a new cache entry."""
    h = hashlib.sha256()
    for df in frames:
        for rid, text in zip(df["review_id"], df["text"]):
            h.update(str(rid).encode("utf-8", "surrogatepass") + b"\x1f" + text.encode("utf-8", "surrogatepass")
                     + b"\x1e")
        h.update(b"\x1d")
    return h.hexdigest()[:24]


def drivers_for(store: Store, model: SentimentLike, category: str | None, start, end,
                sample_size: int = 200, seed: int = 0, n_steps: int = DRIVER_STEPS,
                progress: Callable[[float, str], None] | None = None,
                cached_only: bool = False, engine: Engine | None = None) -> pd.DataFrame | None:
    """Words and phrases that push the reviews of `category` (None: all) in [start, end) toward negative and
    toward positive, with the change against the previous period of the same length.

    At most `sample_size` reviews per period (seeded sample, stated in `sample_size`/`n_available` and attrs).
    The result is cached on disk per model version (`explain.cached_drivers` under
    `<db>.models/sentiment/<version>/explain_cache/`), keyed by category, period, sample settings and a fingerprint
    of the reviews read, so a new upload into the period computes afresh. `cached_only=True` returns the cached
    frame or None without computing (cheap: two small queries and a parquet read). A model without a `version`
    is never cached on disk. With a Ray `engine` the attributions are computed on its workers (same cache).
    Columns: those of `explain.category_drivers` (with `prev_*` and `change_*`); attrs
    add category, start, end, prev_start, prev_end, n_available, prev_n_available, model_version.
    """
    start_ts, end_ts = day_start(start), day_start(end)
    prev_start, prev_end = previous_period(start_ts, end_ts)
    sample_size = max(1, int(sample_size))
    cur = period_reviews(store, category, start_ts, end_ts)
    prev = period_reviews(store, category, prev_start, prev_end)
    version = getattr(model, "version", None)
    # "of": drivers made before they explained the shown decision (the transformer alone) are not reused
    key = {"what": "category_drivers", "of": "shown decision", "category": category, "start": start_ts.isoformat(),
           "end": end_ts.isoformat(), "sample_size": sample_size, "seed": int(seed), "n_steps": int(n_steps),
           "reviews": _digest(cur, prev)}

    def compute() -> pd.DataFrame:
        if cached_only:
            raise _NotCached()
        return category_drivers(
            model, cur["text"].tolist(), cur["review_id"].tolist(), sample_size=sample_size, seed=int(seed),
            prev_texts=prev["text"].tolist(), prev_review_ids=prev["review_id"].tolist(), n_steps=int(n_steps),
            progress=progress, engine=engine)

    try:
        if version is None:
            df = compute()
        else:
            df = cached_drivers(SENTIMENT.family_dir(store), str(version), key, compute)
    except _NotCached:
        return None
    df.attrs.update({
        "category": category, "start": start_ts, "end": end_ts, "prev_start": prev_start, "prev_end": prev_end,
        "n_available": len(cur), "prev_n_available": len(prev),
        "sample_size": min(sample_size, len(cur)), "prev_sample_size": min(sample_size, len(prev)),
        "model_version": None if version is None else str(version),
    })
    return df


# ------------------------------------------------------------------------------------- reviews behind a driver

_RE2_META = set("\\.+*?()|[]{}^$-#&~")


def term_pattern(term: str) -> str:
    """RE2 pattern matching a driver term as whole words in lower-cased text.

    Terms are lower-cased words (inner apostrophes kept) or two such words separated by whitespace, as
    explain.category_drivers makes them; a straight apostrophe also matches a typographic one, word boundaries
    are Unicode letters/digits (so "café" does not match "cafés"). A Chinese or Japanese term matches wherever its
    characters stand in that order, since those scripts put no space or boundary between words.
    """
    words = [w for w in str(term).lower().replace("’", "'").split() if w]
    if not words:
        raise ValueError("empty term")
    parts = []
    for w in words:
        parts.append("".join("['’]" if c == "'" else ("\\" + c if c in _RE2_META else c) for c in w))
    if is_cjk(term):  # Chinese and Japanese words touch their neighbours: no boundary, and a bigram has no space
        return r"\s*".join(parts)
    return r"(^|[^\pL\pN_])" + r"\s+".join(parts) + r"($|[^\pL\pN_])"


def reviews_containing(store: Store, category: str | None, start, end, term: str, limit: int = 50) -> pd.DataFrame:
    """The reviews of a category (None: all) in [start, end) whose title or text contains `term` as whole words,
    newest first. Columns: review_id, review_ts, rating, label, label_source, product_name, title, text,
    n_total (how many reviews contain it, regardless of `limit`).
    """
    where, params = _where(category, start, end)
    sql = f"""
        SELECT r.review_id, r.review_ts, r.rating, {_LABEL} AS label,
               CASE WHEN s.label IS NOT NULL THEN 'model' WHEN {_LABEL} IS NOT NULL THEN 'rating' END AS label_source,
               r.product_name, r.title, r.text, count(*) OVER () AS n_total
        FROM reviews r LEFT JOIN review_sentiment s ON s.review_id = r.review_id
        WHERE {where} AND regexp_matches(lower({_MODEL_TEXT}), ?)
        ORDER BY r.review_ts DESC NULLS LAST, r.review_id
        LIMIT ?"""
    return _df(store, sql, [*params, term_pattern(term), max(int(limit), 0)])
