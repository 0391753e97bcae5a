"""What the Training page asks for about the sentiment model: its versions and their reports, switching and deleting
them, and training or scoring in the background. engine.sentiment (torch) is imported only when a model is used."""

from __future__ import annotations

import pandas as pd

from engine import sentiment
from engine.store import LABELS

from . import cache
from .background import (
    Job,
    JobBusyError,
    cluster_engine,
    current_background_job,
    current_job,
    ended_unfinished,
    no_job_running,
    start_job,
)
from .display import duration, files_state, plain, trained_at
from .session import db_path, store

__all__ = [
    "SENTIMENT_LABELS",
    "sentiment_version",
    "sentiment_active_version",
    "model_notice",
    "sentiment_training_data",
    "training_shortfall",
    "sentiment_metrics",
    "sentiment_versions",
    "sentiment_activate",
    "sentiment_delete",
    "per_class_table",
    "model_details",
    "VERSION_COLUMNS",
    "version_rows",
    "job_outcome",
    "training_estimate",
    "start_training",
    "start_scoring_after_training",
    "start_scoring",
    "score_new_reviews_in_background",
]

SENTIMENT_LABELS: tuple[str, ...] = LABELS
VERSION_COLUMNS: tuple[str, ...] = ("Version", "Trained", "Score", "Simple", "Took", "Kind", "Files", "Size")


def sentiment_version() -> str:
    """Changes when reviews, scores or the active model change (scoring adds no upload: data_version is not enough)."""
    return sentiment.trends.data_version(store())


def sentiment_training_data() -> dict:
    """Rated reviews with text per label: what a training run would learn from."""
    return cache.sentiment_training_data(db_path(), sentiment_version())


def training_shortfall(data: dict) -> str | None:
    """Why the rated reviews (sentiment_training_data) are not enough to train on, Markdown-safe, or None: the same
    rule training applies, so the button is never offered for a run that would be refused."""
    labels = data["labels"]
    reason = sentiment.training_shortfall([labels[name] for name in SENTIMENT_LABELS], data["n_rated"])
    return None if reason is None else plain(reason[0].upper() + reason[1:]) + "."


def _model_state() -> dict | None:
    """The registry's verified state: a broken active version is found (its files are checked, not loaded), marked
    and replaced by the previous good one before any page names a version. Cached per registry change."""
    return cache.model_state(db_path(), sentiment.REGISTRY.fingerprint(store()))


def sentiment_active_version() -> str | None:
    """The active model version, None before any training or when no version is usable (no model is loaded)."""
    state = _model_state()
    return None if state is None else state["active_version"]


def model_notice() -> str | None:
    """The warning every page that uses the model shows while the active version stands in for a broken one."""
    state = _model_state()
    if state is None:
        return None
    if state["active_version"] is None:
        return ("No sentiment model version can be loaded (their files are missing or corrupt); "
                "train a new one on the Training page.")
    if state["fell_back_from"]:
        return (f"Model version {state['fell_back_from']} is broken (missing or corrupt files), so the previous good "
                f"version {state['active_version']} is now the active one. Retrain, or delete the broken version on "
                "the Training page.")
    return None


def sentiment_metrics(version: str | None = None) -> dict:
    """The full training report of a version (default: the active one)."""
    return sentiment.version_metrics(store(), version)


def sentiment_versions() -> pd.DataFrame:
    """All trained versions with their headline metrics, newest first (empty before any training)."""
    if not sentiment.has_model(store()):  # no torch import before there is a model
        return pd.DataFrame()

    return sentiment.list_versions(store())


def sentiment_activate(version: str) -> None:
    """Make a version the active one (rollback); raises if its files are missing or corrupt."""

    with no_job_running("a training or scoring job is running; switch versions when it has finished"):
        sentiment.activate(store(), version)


def sentiment_delete(version: str) -> float:
    """Delete an inactive version's files and row to free disk; returns the megabytes freed."""

    with no_job_running("a training or scoring job is running; delete versions when it has finished"):
        return sentiment.delete_version(store(), version) / 1e6


def per_class_table(metrics: dict) -> pd.DataFrame:
    """Precision, recall, F1 and support per label for the model and the baseline, from a training report."""
    model, base = metrics.get("per_class") or {}, metrics.get("baseline_per_class") or {}
    rows = []
    for label in metrics.get("labels") or SENTIMENT_LABELS:
        m, b = model.get(label) or {}, base.get(label) or {}
        rows.append({
            "label": label, "precision": m.get("precision"), "recall": m.get("recall"), "F1": m.get("f1"),
            "support": m.get("support", b.get("support")), "baseline precision": b.get("precision"),
            "baseline recall": b.get("recall"), "baseline F1": b.get("f1"),
        })
    return pd.DataFrame(rows, columns=["label", "precision", "recall", "F1", "support", "baseline precision",
                                       "baseline recall", "baseline F1"])


LANGUAGE_COLUMNS = ["language", "test reviews", "model", "simple method", "difference", "rated reviews"]


def per_language_table(metrics: dict) -> pd.DataFrame:
    """Held-out macro-F1 of the model and the simple method per language (LANGUAGE_COLUMNS), from a training
    report; a shop in several languages sees where the model is weak instead of one average."""
    rows = [[e["name"], e["n_eval"], e["macro_f1"], e["baseline_macro_f1"], e["margin_over_baseline"],
             e["n_rated"]] for e in metrics.get("per_language") or []]
    return pd.DataFrame(rows, columns=LANGUAGE_COLUMNS)


def languages_too_few(metrics: dict) -> list[str]:
    """One Markdown-safe sentence per language with too few rated reviews for figures of its own."""
    return [f"{plain(e['name'])}: no score of its own yet, {plain(e['lacks'])}."
            for e in metrics.get("languages_too_few") or []]


def version_rows(versions: pd.DataFrame) -> list[dict]:
    """The Training page's versions table (sentiment_versions, newest first): per version its cells as shown
    (VERSION_COLUMNS) and what its buttons need: version, active, available, older (than the active one), size_mb."""
    active_idx = versions.index[versions["active"]].tolist() if not versions.empty else []
    active_pos = active_idx[0] if active_idx else None
    rows = []
    for pos, row in versions.iterrows():
        rows.append({
            "cells": [
                f"{row['version']}" + (" (active)" if row["active"] else ""),
                trained_at(row["created_at"]),
                "–" if pd.isna(row["macro_f1"]) else f"{row['macro_f1']:.3f}",
                "–" if pd.isna(row["baseline_macro_f1"]) else f"{row['baseline_macro_f1']:.3f}",
                "–" if pd.isna(row["seconds"]) else duration(float(row["seconds"])),
                _KIND_WORDS.get(row["model_kind"], str(row["model_kind"] or "–")),
                files_state(row.get("broken_reason"), row["available"]),
                f"{row['size_mb']:,.1f} MB",
            ],
            "version": row["version"], "active": bool(row["active"]), "available": bool(row["available"]),
            "older": active_pos is not None and pos > active_pos, "size_mb": float(row["size_mb"]),
        })
    return rows


_KIND_WORDS = {"transformer": "language model", "baseline": "word counting",
               "ensemble(transformer+baseline)": "both combined"}
_KIND_PHRASES = {"transformer": "the language model", "baseline": "word counting",
                 "ensemble(transformer+baseline)": "the language model and word counting combined"}


def model_details(metrics: dict) -> list[str]:
    """The captions under a version's scores (Markdown-safe): model kind, runtime and base model and why it was
    chosen (the shop's language mix), the int8 check, when the baseline does the labelling, and the report's own
    note."""
    kind = metrics.get("model_kind")
    details = [f"labels reviews with: {plain(_KIND_PHRASES.get(kind, kind))}"] if kind else []
    if metrics.get("transformer_macro_f1") is not None and kind and kind != "transformer":
        details.append(f"the language model alone scores {metrics['transformer_macro_f1']:.3f}")
    if metrics.get("seconds") not in (None, ""):
        details.append(f"training took {duration(float(metrics['seconds']))}")
    for key, text in (("device", "trained on"), ("runtime", "runs as"), ("base_model", "started from"),
                      ("encoder_layers", "layers")):
        if metrics.get(key) not in (None, ""):
            details.append(f"{text}: {plain(metrics[key])}")
    out = [" · ".join(details)]
    reason = (metrics.get("base_model_choice") or {}).get("reason")
    if reason:
        out.append(f"Why this base model: {plain(reason)}.")
    int8 = metrics.get("int8") or {}
    if int8.get("tried") and "macro_f1_int8" in int8:
        out.append(f"A compressed copy (int8, faster) was checked on {int8['checked_on']:,} test reviews: score "
                   f"{int8['macro_f1_int8']:.3f} against {int8['macro_f1_fp32']:.3f} uncompressed, so it was "
                   f"{'kept' if int8['kept'] else 'not kept (it may lose at most 0.01)'}.")
    if kind == "baseline":
        out.append("Tuned on the test reviews, this version gives the language model no weight: it labels reviews by "
                   "counting words, like the simple method.")
    absent = metrics.get("labels_absent") or []
    if absent:
        kept = [name for name in metrics.get("labels") or SENTIMENT_LABELS if name not in absent]
        out.append(f"Your rated reviews have no {' or '.join(absent)} ones, so this version learned "
                   f"{' and '.join(kept)} only and never gives the {' or '.join(absent)} label.")
    out.append(test_note(metrics))
    return out


def test_note(metrics: dict) -> str:
    """How the scores were measured, in a shop owner's words (the report's metric_note says it for engineers)."""
    n_eval, n_heldout = int(metrics.get("n_eval") or 0), int(metrics.get("n_heldout") or 0)
    sample = (f" ({n_eval:,} of the {n_heldout:,} set aside: as many as the time allowed, picked at random)"
              if n_heldout > n_eval else "")
    return (f"Both scores are measured on {n_eval:,} of your newest reviews that training never saw{sample}. "
            "How much weight the model and the word counting each get is tuned on one half of those reviews and "
            "scored on the other, ten times over, so the score is not flattered by the tuning.")


def _about(seconds: float) -> str:
    """A planned duration as a person says it: 'about 40 s', 'about 4 min'."""
    if seconds < 60:
        return f"about {max(5, int(-(-seconds // 5) * 5))} s"
    return f"about {max(1, round(seconds / 60))} min"


def training_estimate(time_budget: float, score_after: bool = True) -> tuple[str, str]:
    """What a training run with `time_budget` will take before it starts, as (level: 'info' | 'warning',
    Markdown-safe sentence): the budget (or the refusal when it cannot hold the fixed costs of this database's rated
    reviews), then labelling every review in the background at the active version's last recorded speed (else a
    conservative one for the model kind)."""
    data = sentiment_training_data()
    n_rated, n_reviews = int(data["n_rated"]), int(data["n_reviews"])
    least = sentiment.minimum_budget(n_rated)
    if n_rated and time_budget < least:
        return "warning", (f"{duration(time_budget)} is too short for {n_rated:,} rated reviews: reading them, "
                           f"counting their words for the simple method and saving take "
                           f"{_about(sentiment.overhead_seconds(n_rated))} before the model learns anything. "
                           f"Choose at least {duration(least)}.")
    text = f"{_about(time_budget).capitalize()} training"
    if score_after and n_reviews:
        metrics = sentiment_metrics() if sentiment_active_version() else {}
        rate, measured = sentiment.scoring_rate(metrics)
        how = "at the active version's last speed" if measured else "at a cautious speed for this model"
        text += (f", then {_about(n_reviews / rate)} to label {n_reviews:,} reviews in the background ({how}; "
                 "only if the new version is made active; Drivers and other pages keep working)")
    return "info", text + "."


def job_outcome(job: Job) -> tuple[str, str] | None:
    """What a finished job did, as (level: 'success' | 'warning' | 'error' | 'info', Markdown-safe sentence); None
    while it runs. A training names the version and whether it was made active, and why not."""
    if job.kind not in ("train", "score", "score_new", "score_after_train"):  # another family's job: its page says it
        return None
    r = job.result or {}
    if job.status == "done" and job.kind == "train":
        version = plain(r.get("model_version"))
        f_new, f_base = r.get("macro_f1", float("nan")), r.get("baseline_macro_f1", float("nan"))
        took = f" in {duration(job.elapsed)}"
        if r.get("activated", True):
            then = (" Every review is being labelled with it in the background." if r.get("scoring_job") else "")
            return "success", (f"Trained version {version}{took} and made it active: score {f_new:.3f} vs "
                               f"{f_base:.3f} for the simple method.{then}")
        kept = r.get("active_before")
        kept_text = f"kept {plain(kept)} active" if kept else "kept it inactive (reviews keep their star labels)"
        return "warning", (f"Trained version {version}{took} but {kept_text}: {version} "
                           f"{plain(r.get('activation_reason', ''))}. Activate it below if you want it anyway.")
    if job.status == "done":
        where = f" on Ray ({r['workers']} workers)" if r.get("engine") == "ray" else ""
        return "success", (f"Scored {r.get('n_scored', 0):,} reviews with version {plain(r.get('model_version'))}"
                           f"{where} ({r.get('reviews_per_second', 0):,.0f} reviews/s).")
    if job.kind == "score_after_train" and job.status == "cancelled":
        return "info", ("Labelling every review with the new version was cancelled; the reviews labelled so far keep "
                        "the new labels, the others their earlier ones. Score all reviews below to finish.")
    return ended_unfinished(job)


_SENTIMENT_JOBS = ("score_after_train",)  # a background job the sentiment jobs cannot run beside
_BUSY_LABELLING = ("every review is still being labelled with the last trained version; wait for it to finish or "
                   "cancel it on the Training page")
SCORE_AFTER_BATCH = 256  # reviews per transaction while labelling in the background (~7-10 s each on 2 cores)


def start_training(time_budget: float, base_model: str | None = None, score_after: bool = True,
                   activate: bool = False) -> Job:
    """Train a new version in a background thread; the job ends when the version is saved. When it was made active
    (or `activate` forces it) and score_after, labelling every review then runs as its own low-priority job
    (start_scoring_after_training), so the budget covers training only and other pages' jobs are not held up."""
    s, key = store(), db_path()
    base = (base_model or "").strip() or None

    def work(job: Job) -> dict:
        import time

        from engine import sentiment

        started = time.monotonic()  # the budget counts from here: loading torch in a fresh app is part of the wait
        before = sentiment.active_version(s)
        report = sentiment.train(s, time_budget=float(time_budget), base_model=base, progress=job.update,
                                 activate=activate, started=started)
        report = dict(report, active_before=before)
        if score_after and report.get("activated"):
            report["scoring_job"] = start_scoring_after_training(report["model_version"], key).id
        return report

    return start_job("train", {"time_budget": float(time_budget), "base_model": base, "score_after": bool(score_after),
                               "activate": bool(activate)}, work, conflicts=_SENTIMENT_JOBS,
                     busy_message=_BUSY_LABELLING if current_background_job() else None)


def start_scoring_after_training(version: str, key: str | None = None) -> Job:
    """Label every review with the active version as a low-priority background job (kind 'score_after_train'), in
    transactions of SCORE_AFTER_BATCH reviews with its own progress: the pages' own jobs (drivers, segments,
    forecasts) may start meanwhile; switching or deleting versions waits for it, and Cancel keeps what was labelled.
    """
    s = store()

    def work(job: Job) -> dict:
        from engine import sentiment

        job.update(0.0, f"loading version {version}")
        model = sentiment.load_active(s)
        done = sentiment.score(s, model, progress=job.update, batch_size=SCORE_AFTER_BATCH, engine=cluster_engine())
        # Reviews uploaded while this ran were not in its list, and uploads start no scoring of their own meanwhile.
        late = sentiment.score_new(s, model, batch_size=SCORE_AFTER_BATCH, engine=cluster_engine())
        return dict(done, n_scored=done["n_scored"] + late["n_scored"])

    return start_job("score_after_train", {"model_version": version}, work, background=True, key=key,
                     busy_message=_BUSY_LABELLING)


def start_scoring(only_new: bool = False) -> Job:
    """Score every review (or only those the active model has not scored) in a background thread."""
    s = store()

    def work(job: Job) -> dict:
        from engine import sentiment

        job.update(0.0, "loading the active model")
        fn = sentiment.score_new if only_new else sentiment.score
        return fn(s, progress=job.update, engine=cluster_engine())

    return start_job("score_new" if only_new else "score", {}, work, conflicts=_SENTIMENT_JOBS,
                     busy_message=_BUSY_LABELLING if current_background_job() else None)


def score_new_reviews_in_background() -> None:
    """New reviews are scored in the background when a model exists and no other job runs (the labelling after a
    training scores them too: it ends by scoring what was uploaded while it ran)."""
    if current_job() is None and current_background_job() is None and sentiment.has_model(store()):
        try:
            start_scoring(only_new=True)
        except JobBusyError:
            pass
