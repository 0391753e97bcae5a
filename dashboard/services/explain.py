"""What the Explain and Drivers pages ask for: word attributions of one text with their faithfulness check, and the
words driving a category's reviews in a period, computed on the active sentiment model (cached per version)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from engine.analytics import Filters

from . import cache
from .background import Job, cluster_engine, start_job
from .display import first_text, one_line, plain
from .sentiment_model import sentiment_active_version, sentiment_version
from .session import data_version, db_path, store

__all__ = [
    "ExplainUnavailable",
    "Explained",
    "DRIVER_SAMPLE_SIZES",
    "explanation",
    "explain_review_row",
    "review_option_label",
    "review_caption",
    "stored_probability",
    "ExplanationReading",
    "explanation_reading",
    "driver_review_counts",
    "driver_period",
    "drivers",
    "top_drivers",
    "driver_table",
    "driver_reviews",
    "default_driver_category",
    "driver_seconds",
    "start_drivers",
    "drivers_job",
    "driver_change_text",
]

DRIVER_SAMPLE_SIZES: tuple[int, ...] = (20, 50, 100, 200, 500)
# Seconds one review takes to attribute (2 targets x 16 IG steps), per model version: measured by the last run in
# this process, else the engine's figure for a 90-token review on two idle CPU cores.
_SECONDS_PER_REVIEW: dict[str, float] = {}
DEFAULT_SECONDS_PER_REVIEW = 1.2
# The latest drivers job per (database, category, period, sample size, model version): the page follows its own.
_DRIVER_JOBS: dict[tuple, Job] = {}
KEEP_DRIVER_JOBS = 20


class ExplainUnavailable(RuntimeError):
    """No usable sentiment model to explain with; the message says why (none trained, or every version broken)."""


@dataclass(frozen=True)
class Explained:
    """One explained text: the engine's results, the model version that made them, and the escaped highlight."""

    explanation: object  # engine.explain.ReviewExplanation
    faithfulness: object  # engine.explain.Faithfulness
    model_version: str | None
    html: str  # engine.explain.highlight_html: every character of the review html-escaped


def _active_model() -> tuple[str, object]:
    """(active version, loaded model), or ExplainUnavailable."""
    version = sentiment_active_version()
    if version is None:
        raise ExplainUnavailable("No sentiment model yet: train one on the Training page.")
    from engine import sentiment

    try:
        return version, cache.model(db_path(), version)
    except (sentiment.ModelNotFoundError, sentiment.ModelLoadError) as exc:
        raise ExplainUnavailable(str(exc)) from exc


def explanation(text: str, target: str | None = None) -> Explained:
    """Word attributions, faithfulness badge and highlighted HTML of a text, cached per model version and text."""
    version, _ = _active_model()
    return Explained(*cache.explanation(db_path(), version, str(text), target))


def explain_review_row(review_id: str | None) -> dict | None:
    """One stored review with the text the model reads (`model_text`) and its stored label; None if unknown."""
    if review_id is None or not str(review_id).strip():
        return None
    return cache.review_row(db_path(), sentiment_version(), str(review_id).strip())


def review_option_label(row: dict | None, review_id: str) -> str:
    """Plain-text label of a review in the Explain page's picker (selectbox options are not Markdown)."""
    if row is None:
        return f"{review_id} (not found)"
    when = "" if row.get("review_ts") is None else f"{pd.Timestamp(row['review_ts']):%Y-%m-%d} · "
    stars = "" if row.get("rating") is None else f"{row['rating']:.0f}★ · "
    return f"{when}{stars}{one_line(first_text(row.get('title'), row.get('text'), default='(no text)'))} [{review_id}]"


def review_caption(review: dict, review_id: str) -> str:
    """One Markdown-safe line about a stored review: date, stars, product, category, stored label, id."""
    rating = ("no rating" if review.get("rating") is None
              else f"{review['rating']:.0f} star" + ("" if review["rating"] == 1 else "s"))
    when = "no date" if review.get("review_ts") is None else f"{pd.Timestamp(review['review_ts']):%Y-%m-%d}"
    product = first_text(review.get("product_name"), review.get("product_id"), default="unknown product")
    stored = "no stored label" if review.get("label") is None else f"stored label {review['label']}"
    p_stored = stored_probability(review)
    if p_stored is not None:
        stored += f" {p_stored:.1%}"
    if review.get("label") is not None:
        stored += f" (from {review.get('label_source')})"
    return (f"{when} · {rating} · {plain(product)} · {plain(review.get('category'))} · "
            f"{plain(stored)} · review id {plain(review_id)}")


def stored_probability(review: dict | None) -> float | None:
    """The stored model score of a review's stored label (None when the label comes from its stars)."""
    if not review or review.get("label_source") != "model" or review.get("label") is None:
        return None
    value = review.get(f"p_{review['label']}")
    return None if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class ExplanationReading:
    """What the Explain page says about one explanation, in words: which figure the highlights explain, which model
    that figure comes from, and how well the word weights add up to it."""

    headline: str  # "Why the page says 99.6% negative"
    scope: str  # the model whose decision is explained (the combined one, not the language model alone)
    adds_up: str  # completeness in plain words; the technical name lives in `adds_up_help`
    adds_up_help: str
    stored_note: str | None  # when the stored score differs from the recomputed one


def explanation_reading(e: object, review: dict | None = None) -> ExplanationReading:
    """Sentences for an engine.explain.ReviewExplanation: the explained probability is the one the page shows, so
    the headline, the metrics and the highlights all name the same number."""
    p, target = e.target_probability, plain(e.target)
    headline = (f"Why the page says {p:.1%} {target}" if e.target == e.label
                else f"What speaks for {target} (the page says {p:.1%})")
    w = float(getattr(e, "ensemble_weight", 1.0))
    alone = e.model_probabilities.get(e.target, p)
    if w <= 0.0:
        scope = ("The highlights explain this figure: this model version decides with its word-count model alone "
                 "(corrected for how often each label occurs).")
    elif w < 1.0:
        scope = (f"The highlights explain this figure: the decision of the combined model (the fine-tuned language "
                 f"model, weight {w:.2f}, with a word-count model, weight {1 - w:.2f}, corrected for how often each "
                 f"label occurs), not the language model alone, which would say {alone:.1%} {target}.")
    else:
        scope = ("The highlights explain this figure: the fine-tuned language model's decision (corrected for how "
                 "often each label occurs).")
    delta = abs(float(e.convergence_delta))
    adds_up = (f"The highlighted weights add up to the shown {p:.1%} minus {e.baseline_probability:.1%} (what the "
               f"model says for an empty review) within {delta:.3f}.")
    adds_up_help = (f"Technical name: convergence delta, {e.convergence_delta:+.4f} (Captum's completeness error of "
                    "integrated gradients): the sum of the word weights minus the change of the shown probability "
                    "from the reference (padding for the language model, an empty text for the word-count model) to "
                    "the review. Small means the weights add up.")
    stored = stored_probability(review)
    note = None
    if stored is not None and (review["label"] != e.label or abs(stored - e.probability) >= 0.0005):
        note = (f"The stored score of this review says {stored:.1%} {plain(review['label'])}; the explanation "
                f"recomputes the decision with the full-precision model ({e.probability:.1%} {plain(e.label)}): "
                "stored scores may come from the faster 8-bit runtime or an earlier model version.")
    return ExplanationReading(headline, scope, adds_up, adds_up_help, note)


def driver_review_counts(category: str | None, start: date, end: date) -> tuple[int, int]:
    """Reviews with text in [start, end) and in the period of the same length before it."""
    return cache.driver_review_counts(db_path(), sentiment_version(), category, start, end)


def driver_period(f: Filters, category: str | None = None) -> tuple[date, date] | None:
    """Default inclusive days for the drivers view: the sidebar's dates when the category has reviews with text in
    them, else its last 90 days of reviews (so the first view is never an empty period)."""
    bounds = cache.review_bounds(db_path(), data_version(), category)
    if bounds is None:
        return (f.start, f.end) if f.start is not None and f.end is not None else None
    end = f.end or bounds[1]
    start = f.start or max(bounds[0], end - timedelta(days=89))
    if start <= end and driver_review_counts(category, start, end + timedelta(days=1))[0] > 0:
        return start, end
    return max(bounds[0], bounds[1] - timedelta(days=89)), bounds[1]


def default_driver_category(by_category: pd.DataFrame, latest_alert: tuple[str, object] | None = None) -> str | None:
    """The category the Drivers page opens on: the latest alert's, else the one with the most reviews."""
    if by_category.empty:
        return None
    names = by_category["category"].tolist()
    if latest_alert is not None and latest_alert[0] in names:
        return latest_alert[0]
    return str(by_category.sort_values(["n", "category"], ascending=[False, True])["category"].iloc[0])


def driver_seconds(n_reviews: int) -> float:
    """About how long attributing n reviews takes with the active model (measured by the last run, else the
    engine's CPU figure)."""
    version = sentiment_active_version()
    return max(1.0, n_reviews * _SECONDS_PER_REVIEW.get(str(version), DEFAULT_SECONDS_PER_REVIEW))


def _driver_params(category: str | None, start: date, end: date, sample_size: int) -> dict:
    return {"category": category, "start": str(start), "end": str(end), "sample_size": int(sample_size),
            "model_version": sentiment_active_version()}


def drivers_job(category: str | None, start: date, end: date, sample_size: int) -> Job | None:
    """The latest drivers job of exactly this category, period, sample size and model version (running or not)."""
    return _DRIVER_JOBS.get(_driver_key(category, start, end, sample_size))


def _driver_key(category: str | None, start: date, end: date, sample_size: int) -> tuple:
    return (db_path(), *_driver_params(category, start, end, sample_size).values())


def start_drivers(category: str | None, start: date, end: date, sample_size: int, n_reviews: int) -> Job:
    """Compute the drivers of [start, end) in the background (JobBusyError while another job runs); the result is
    stored per model version, so the page reads it once the job is done."""
    version, model = _active_model()
    s = store()

    def work(job: Job) -> dict:
        from engine import explain

        job.update(0.0, f"attributing up to {n_reviews:,} reviews")
        t0 = pd.Timestamp.now()
        with cache.MODEL_LOCK:
            df = explain.drivers_for(s, model, category, start, end, int(sample_size), progress=job.update,
                                     engine=cluster_engine())
        seconds = (pd.Timestamp.now() - t0).total_seconds()
        attributed = int(df.attrs.get("sample_size", 0)) + int(df.attrs.get("prev_sample_size", 0)) if df is not None \
            else 0
        if attributed:
            _SECONDS_PER_REVIEW[str(version)] = seconds / attributed
        return {"terms": 0 if df is None else len(df), "seconds": seconds}

    job = start_job("drivers", _driver_params(category, start, end, sample_size), work)
    _DRIVER_JOBS[_driver_key(category, start, end, sample_size)] = job
    for old in list(_DRIVER_JOBS)[:-KEEP_DRIVER_JOBS]:  # finished ones are on disk; keep the dict small
        if not _DRIVER_JOBS[old].running:
            del _DRIVER_JOBS[old]
    return job


def drivers(category: str | None, start: date, end: date, sample_size: int = 100, compute: bool = False,
            progress: Callable[[float, str], None] | None = None) -> pd.DataFrame | None:
    """Category drivers of [start, end) against the period before it (engine.explain.drivers_for).

    Results live on disk per model version; without `compute` this only reads them (None when not computed yet),
    with it the missing ones are computed first (seconds to minutes: 2 x 16 IG passes per sampled review).
    """
    version, model = _active_model()
    key = (db_path(), sentiment_version(), version, category, start, end, int(sample_size))
    try:
        return cache.drivers(*key)
    except cache.DriversNotComputed:
        if not compute:
            return None
    from engine import explain

    with cache.MODEL_LOCK:
        explain.drivers_for(store(), model, category, start, end, int(sample_size), progress=progress)
    try:
        return cache.drivers(*key)
    except cache.DriversNotComputed:  # e.g. the model folder is read-only: nothing could be stored
        return None


def top_drivers(df: pd.DataFrame, toward: str, k: int = 10) -> pd.DataFrame:
    """The k terms pushing most toward 'negative' or 'positive' (engine.explain.top_drivers)."""
    from engine import explain

    return explain.top_drivers(df, toward, k)


def driver_table(top: pd.DataFrame, toward: str) -> pd.DataFrame:
    """top_drivers rows as the Drivers page lists them: term, reviews, share, per review, change, reviews before."""
    change = pd.to_numeric(top.get(f"change_toward_{toward}", pd.Series([None] * len(top), dtype=object)),
                           errors="coerce")
    out = pd.DataFrame({
        "term": top["term"], "n_reviews": top["n_reviews"], "share_reviews": top["share_reviews"],
        "mean": top[f"mean_toward_{toward}"],
        "change": [driver_change_text(c) for c in change],
        "prev_n_reviews": top.get("prev_n_reviews", pd.Series([0] * len(top))),
    })
    return out.reset_index(drop=True)


def driver_change_text(change: float | None) -> str:
    """The change column's cell: the signed difference, or 'new' for a word the previous period did not use."""
    return "new this period" if change is None or pd.isna(change) else f"{change:+.3f}"


def driver_reviews(category: str | None, start: date, end: date, term: str, limit: int = 50) -> pd.DataFrame:
    """The reviews in [start, end) containing a driver term (whole words), newest first, with n_total."""
    return cache.driver_reviews(db_path(), sentiment_version(), category, start, end, str(term), int(limit))
