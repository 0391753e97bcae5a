"""`storelens explain review`: the words that made a review negative or positive, with the faithfulness check."""

from __future__ import annotations

import argparse

from ._common import UsageError, emit, model_errors, open_store


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
        store = open_store(args)
        try:
            model = sentiment.load_active(store)
        finally:
            store.close()
        result = explain.explain_review(model, args.text, target=args.target)
        payload = result.as_dict()
        payload["faithfulness"] = explain.faithfulness(model, args.text, result).as_dict()
        top = sorted(payload["tokens"], key=lambda t: -abs(t["attribution"]))[:5]
        emit(args, payload, (
            f"{payload['label']} ({payload['probability']:.2f}); top words: "
            + ", ".join(f"{t['token']} {t['attribution']:+.3f}" for t in top)
            + f"; convergence delta {payload['convergence_delta']:.4f}"
        ))
        return 0

    p.set_defaults(func=explain_review)
