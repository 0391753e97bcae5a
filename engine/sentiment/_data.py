"""What a sentiment model learns from: the store's rated reviews as model text, and the least it will train on.
Light (pandas, no torch), so pages can say what training would use before any model exists."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from engine.store import LABELS, Store, compose_text

from ._language import fill_missing_languages

MIN_REVIEWS = 20
# Fewest rated reviews of a label (negative, neutral, positive) that occurs at all: below 10 the held-out split
# (15%) gets one or two of that label, so its recall can only read 0, 50% or 100%, and the fine-tune sees the label
# in fewer than one batch in eight; the figures would be noise, so training refuses. A label with no reviews at all
# (a shop whose customers never give 3 stars) is left out: the model learns the others and never answers it.
MIN_PER_CLASS = 10


def training_shortfall(label_counts: Sequence[int], n_rated: int) -> str | None:
    """Why the rated reviews are not enough to train on (one sentence, counts included), or None when they are.

    `label_counts` are the rated reviews with text per label in LABELS order; the Training page asks this before
    it offers the button, and training asks it again, so both refuse alike.
    """
    counts = [int(n) for n in label_counts]
    found = ", ".join(f"{n} {name}" for name, n in zip(LABELS, counts))
    if n_rated < MIN_REVIEWS:
        return f"need at least {MIN_REVIEWS} rated reviews with text to train; found {n_rated}"
    if sum(n > 0 for n in counts) < 2:
        return "all rated reviews have the same sentiment label; need at least two labels"
    if any(0 < n < MIN_PER_CLASS for n in counts) or sum(n >= MIN_PER_CLASS for n in counts) < 2:
        return (f"need at least {MIN_PER_CLASS} rated reviews with text of each sentiment that occurs (a sentiment "
                f"with none is left out), and two sentiments; found {found}")
    return None


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
