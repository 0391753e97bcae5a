"""`storelens sentiment train|score|predict`: fine-tune on the database's rated reviews, score them, score texts
outside the database."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import (
    UsageError,
    add_engine_args,
    emit,
    engine_of,
    load_active,
    model_errors,
    model_state,
    open_store,
    progress,
    read_texts,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `sentiment` group to the parser."""
    sentiment_parser = sub.add_parser("sentiment", help="train, score and predict review sentiment")
    ssub = sentiment_parser.add_subparsers(dest="sentiment_command", required=True)

    p = ssub.add_parser("train", parents=[common], help="fine-tune on the database's rated reviews")
    p.add_argument("--time-budget", type=float, default=600.0, metavar="SECONDS")
    p.add_argument("--base-model", default=None, metavar="PATH_OR_ID",
                   help="local folder or hub id (default: the packaged all-MiniLM-L6-v2)")
    p.add_argument("--activate", action="store_true",
                   help="make the new version the active one whatever it scores (by default it becomes active only "
                        "when it beats the simple baseline and is not below the active version)")

    @model_errors
    def train(args: argparse.Namespace) -> int:
        from engine import sentiment

        if args.time_budget <= 0:
            raise UsageError("--time-budget must be a positive number of seconds.")
        store = open_store(args)
        try:  # a budget too short for these reviews is refused before torch loads
            sentiment.check_budget(args.time_budget, sentiment.trends.training_data(store)["n_rated"])
            report = sentiment.train(store, time_budget=args.time_budget, base_model=args.base_model,
                                     progress=progress(True), activate=args.activate)
        finally:
            store.close()
        verdict = "beats" if report.get("beats_baseline") else "does NOT beat"
        ci = report.get("macro_f1_ci95")
        bci = report.get("baseline_macro_f1_ci95")
        emit(args, report, (
            f"model {report['model_version']} on {report['device']}: macro-F1 {report['macro_f1']:.3f}"
            + (f" (95% interval {ci[0]:.2f}-{ci[1]:.2f}: only {report['n_eval']} held-out reviews)" if ci else "")
            + f" vs baseline {report['baseline_macro_f1']:.3f}"
            + (f" ({bci[0]:.2f}-{bci[1]:.2f})" if bci else "")
            + f" ({verdict} the baseline); "
            f"{report['n_train']} train / {report['n_eval']} held-out reviews in {report['seconds']} s"
            + "".join(f"\n  {e['name']}: macro-F1 {e['macro_f1']:.3f} vs baseline {e['baseline_macro_f1']:.3f} "
                      f"on {e['n_eval']} held-out reviews" for e in report.get("per_language", []))
            + "".join(f"\n  {e['name']}: no figures of its own: {e['lacks']}"
                      for e in report.get("languages_too_few", []))
            + f"\n  {'active now' if report['activated'] else 'kept, not active'}: {report['activation_reason']}"
        ))
        return 0

    p.set_defaults(func=train)

    p = ssub.add_parser("score", parents=[common], help="score the reviews the active model has not scored")
    p.add_argument("--all", action="store_true", help="score every review again")
    add_engine_args(p)

    @model_errors
    def score(args: argparse.Namespace) -> int:
        from engine import sentiment

        engine = engine_of(args)
        store = open_store(args)
        try:
            model = sentiment.load_active(store)
            scorer = sentiment.score if args.all else sentiment.score_new
            report = model_state(scorer(store, model=model, progress=progress(True), engine=engine), model)
        finally:
            store.close()
        emit(args, report, f"scored {report['n_scored']} reviews with {report['model_version']} "
                           f"({report['reviews_per_second']} reviews/s)")
        return 0

    p.set_defaults(func=score)

    p = ssub.add_parser("predict", parents=[common], help="score texts from a CSV outside the database")
    p.add_argument("--input", required=True, type=Path, metavar="CSV")
    p.add_argument("--text-column", required=True, metavar="COL")
    p.add_argument("--output", required=True, type=Path, metavar="CSV")
    add_engine_args(p)

    @model_errors
    def predict(args: argparse.Namespace) -> int:
        import pandas as pd

        from engine import sentiment
        from engine.models import report
        from engine.store import write_safe_csv

        engine = engine_of(args)
        frame = read_texts(args.input, args.text_column)
        model = load_active(args, sentiment)
        scored = sentiment.predict_frame(model, frame[args.text_column].tolist(), engine, progress(True))
        out = pd.concat([frame.reset_index(drop=True), scored], axis=1)
        write_safe_csv(out, args.output)
        emit(args, model_state({"n_scored": len(out), "output": str(args.output), "model_version": model.version,
                                **report(engine, scored.attrs.get("workers"))}, model),
             f"wrote {len(out)} rows to {args.output}")
        return 0

    p.set_defaults(func=predict)

