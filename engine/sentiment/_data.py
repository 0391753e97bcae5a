"""What a sentiment model learns from: the store's rated reviews as model text, and the least it will train on.
Light (pandas, no torch), so pages can say what training would use before any model exists."""

from __future__ import annotations

import pandas as pd

from engine.store import Store, compose_text

from ._language import fill_missing_languages

MIN_REVIEWS = 20


def read_training_frame(store: Store) -> pd.DataFrame:
    """Rated reviews from the database as (review_id, ts, text, rating, language); training reports each
    language's figures."""
    fill_missing_languages(store)
    cur = store.cursor()
    try:
        raw = cur.execute(
            "SELECT review_id, review_ts, title, text, rating, language FROM reviews WHERE rating IS NOT NULL "
            "ORDER BY review_id"
        ).df()
    finally:
        cur.close()
    return pd.DataFrame(
        {
            "review_id": raw["review_id"],
            "ts": raw["review_ts"],
            "text": [compose_text(a, b) for a, b in zip(raw["title"], raw["text"])],
            "rating": raw["rating"],
            "language": raw["language"],
        }
    )
