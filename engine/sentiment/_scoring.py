"""Scoring: every review (or only the new ones) through the active version into review_sentiment, and texts
outside the database for `sentiment predict`."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.models import Engine, Progress, no_progress
from engine.store import LABELS, Store, compose_text, read_df

from ._registry import load_active, record_scoring

if TYPE_CHECKING:
    from ._baseline import BaselineModel
    from ._model import SentimentModel

def predict_frame(model: SentimentModel | BaselineModel, texts: Sequence[str], engine: Engine | None = None,
                  progress: Progress | None = None) -> pd.DataFrame:
    """label + p_negative/p_neutral/p_positive per text, in input order (for `sentiment predict`); with a Ray
    `engine` the texts are scored on its workers (`attrs["workers"]` says how many)."""
    texts = ["" if t is None or (isinstance(t, float) and math.isnan(t)) else str(t) for t in texts]
    if engine is not None and engine.distributed and texts:
        from ._cluster import predict_on_ray

        return predict_on_ray(engine, model, texts, progress or no_progress)
    proba = model.predict_proba(texts) if texts else np.zeros((0, len(LABELS)))
    return pd.DataFrame(
        {
            "label": [LABELS[i] for i in np.argmax(proba, axis=1)] if len(texts) else [],
            "p_negative": proba[:, 0],
            "p_neutral": proba[:, 1],
            "p_positive": proba[:, 2],
        }
    )


def write_scores(store: Store, scores: object) -> None:
    """Store one batch of scores (a DataFrame or Arrow table of review_sentiment's columns) in one transaction, the
    in-process chunks and a Ray job's results alike: a review scored again keeps only its newest score."""
    with store.transaction() as con:
        con.register("_sentiment_scores", scores)
        try:
            con.execute(
                "INSERT OR REPLACE INTO review_sentiment "
                "(review_id, label, p_negative, p_neutral, p_positive, model_version, scored_at) "
                "SELECT review_id, label, p_negative, p_neutral, p_positive, model_version, scored_at "
                "FROM _sentiment_scores"
            )
        finally:
            con.unregister("_sentiment_scores")


def _score_rows(store: Store, rows: pd.DataFrame, model: SentimentModel, progress: Progress, batch_size: int) -> dict:
    """Score `rows` (review_id, title, text) in chunks and upsert into review_sentiment."""
    start = time.monotonic()
    rows = rows.drop_duplicates("review_id")
    n = len(rows)
    version = model.version or "unversioned"
    done = 0
    for lo in range(0, n, batch_size):
        part = rows.iloc[lo : lo + batch_size]
        texts = [compose_text(a, b) for a, b in zip(part["title"], part["text"])]
        scored = predict_frame(model, texts)
        scored.insert(0, "review_id", part["review_id"].to_numpy())
        scored["model_version"] = version
        scored["scored_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
        write_scores(store, scored)
        done += len(part)
        progress(done / max(n, 1), f"scored {done}/{n} reviews")
    seconds = time.monotonic() - start
    return {"model_version": version, "n_scored": int(n), "reviews_per_second": round(n / seconds, 1) if n else 0.0}


_ALL = "SELECT review_id, title, text FROM reviews ORDER BY review_id"
_NEW = ("SELECT r.review_id, r.title, r.text FROM reviews r "
        "LEFT JOIN review_sentiment s ON s.review_id = r.review_id "
        "WHERE s.review_id IS NULL OR s.model_version IS DISTINCT FROM ? ORDER BY r.review_id")


def _score(store: Store, model: SentimentModel, sql: str, params: list, progress: Progress | None, batch_size: int,
           engine: Engine | None) -> dict:
    """The reviews `sql` selects, scored in this process (chunk by chunk, each chunk one transaction) or on Ray
    (one transaction); the speed is recorded with the version for the Training page's estimates."""
    if engine is not None and engine.distributed:
        from ._cluster import score_on_ray

        result = score_on_ray(store, model, engine, sql, params, progress or no_progress, batch_size)
    else:
        result = _score_rows(store, read_df(store, sql, params), model, progress or no_progress, batch_size)
    record_scoring(store, model.version, result)
    return result


def score(
    store: Store, model: SentimentModel | None = None, progress: Progress | None = None, batch_size: int = 2048,
    engine: Engine | None = None,
) -> dict:
    """Score every review with the active (or given) model; returns the contract's JSON object."""
    model = model or load_active(store)
    return _score(store, model, _ALL, [], progress, batch_size, engine)


def score_new(
    store: Store, model: SentimentModel | None = None, progress: Progress | None = None, batch_size: int = 2048,
    engine: Engine | None = None,
) -> dict:
    """Score only reviews that have no score from the active model's version (after an upload)."""
    model = model or load_active(store)
    return _score(store, model, _NEW, [model.version or "unversioned"], progress, batch_size, engine)
