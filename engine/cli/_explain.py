"""`storelens explain review|recommendation`: the words that made a review negative or positive, with the faithfulness
check; why a product is recommended to a customer, with the counterfactual."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._common import (
    UsageError,
    add_engine_args,
    emit,
    engine_of,
    load_active,
    model_errors,
    model_state,
    progress,
    read_texts,
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `explain` group to the parser."""
    explain_parser = sub.add_parser("explain", help="explain a prediction")
    esub = explain_parser.add_subparsers(dest="explain_command", required=True)
    p = esub.add_parser("review", parents=[common], help="which words made this review negative/positive")
    p.add_argument("--text", required=True)
    p.add_argument("--target", choices=["negative", "neutral", "positive"], default=None,
                   help="explain this class instead of the predicted one")

    @model_errors
    def explain_review(args: argparse.Namespace) -> int:
        from engine import explain, sentiment

        if not args.text.strip():
            raise UsageError("--text is empty; give the review text to explain.")
        model = load_active(args, sentiment)
        result = explain.explain_review(model, args.text, target=args.target)
        payload = model_state(result.as_dict(), model)
        payload["faithfulness"] = explain.faithfulness(model, args.text, result).as_dict()
        top = sorted(payload["tokens"], key=lambda t: -abs(t["attribution"]))[:5]
        emit(args, payload, (
            f"{payload['label']} ({payload['probability']:.2f}); top words: "
            + ", ".join(f"{t['token']} {t['attribution']:+.3f}" for t in top)
            + f"; convergence delta {payload['convergence_delta']:.4f}"
        ))
        return 0

    p.set_defaults(func=explain_review)

    p = esub.add_parser("reviews", parents=[common], help="word attributions of every review in a CSV (JSON lines)")
    p.add_argument("--input", required=True, type=Path, metavar="CSV")
    p.add_argument("--text-column", required=True, metavar="COL")
    p.add_argument("--output", required=True, type=Path, metavar="JSONL",
                   help="one JSON object per input row, in input order (the keys of explain review)")
    p.add_argument("--target", choices=["negative", "neutral", "positive"], default=None,
                   help="explain this class instead of each review's predicted one")
    add_engine_args(p)

    @model_errors
    def explain_reviews(args: argparse.Namespace) -> int:
        from engine import explain, sentiment
        from engine.models import report

        frame = read_texts(args.input, args.text_column)
        if not args.output.parent.exists():
            raise UsageError(f"folder {args.output.parent} does not exist; check --output.")
        engine = engine_of(args)
        model = load_active(args, sentiment)
        results, workers = explain.explain_reviews(model, frame[args.text_column].tolist(), args.target, engine,
                                                   progress(True))
        with open(args.output, "w", encoding="utf-8") as fh:
            for row, result in enumerate(results):
                fh.write(json.dumps({"row": row, **result}) + "\n")
        emit(args, model_state({"n_explained": len(results), "output": str(args.output),
                                "model_version": model.version, **report(engine, workers)}, model),
             f"wrote {len(results)} explanations to {args.output}")
        return 0

    p.set_defaults(func=explain_reviews)

    p = esub.add_parser("recommendation", parents=[common], help="why this product is recommended to this customer")
    p.add_argument("--customer", required=True, metavar="ID")
    p.add_argument("--product", required=True, metavar="ID")
    p.add_argument("--mode", choices=["discovery", "replenishment"], default=None,
                   help="default: replenishment when the customer bought the product before, else discovery")

    @model_errors
    def explain_recommendation(args: argparse.Namespace) -> int:
        from engine import recommend

        model = load_active(args, recommend)
        try:
            payload = recommend.explain(model, args.customer, args.product, mode=args.mode)
        except (recommend.UnknownCustomerError, recommend.UnknownProductError) as exc:
            raise UsageError(f"{exc}.") from exc
        cf = payload.get("counterfactual") or {}
        lines = [f"{payload['product_name']} is #{payload['rank']} for customer {payload['customer_id']} "
                 f"({payload['mode']}, score {payload['score']:.3f})"]
        lines += [f"- {s}" for s in payload["sentences"]]
        lines += [f"- {cf[k]}" for k in ("sentence", "smallest_set_sentence") if cf.get(k)]
        emit(args, payload, lines)
        return 0

    p.set_defaults(func=explain_recommendation)
