"""`storelens recommend train|export`: fit the recommender on the database's orders (evaluated against baselines
on a time split) and write every customer's top-K."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import UsageError, add_engine_args, emit, engine_of, load_active, model_errors, open_store, progress


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `recommend` group to the parser."""
    rec_parser = sub.add_parser("recommend", help="train product recommendations and export them")
    rsub = rec_parser.add_subparsers(dest="recommend_command", required=True)

    p = rsub.add_parser("train", parents=[common], help="train on the database's orders; evaluate on a time split")

    @model_errors
    def train(args: argparse.Namespace) -> int:
        from engine import recommend

        store = open_store(args)
        try:
            model = recommend.train(store, progress=progress(True))
        finally:
            store.close()
        m = model.metrics
        report = {"model_version": model.version, "ndcg_at_10": m["ndcg_at_10"],
                  "baseline_ndcg_at_10": m["baseline_ndcg_at_10"], "baseline_name": m["baseline_name"],
                  "recall_at_10": m["recall_at_10"], "beats_item_knn": m["beats_item_knn"], "verdict": m["verdict"],
                  "modes": m["modes"], "cutoff": m["cutoff"], "device": m["device"], "seconds": m["seconds"]}
        emit(args, report, f"model {model.version} on {m['device']} in {m['seconds']} s; {m['verdict']}")
        return 0

    p.set_defaults(func=train)

    p = rsub.add_parser("export", parents=[common], help="top-K products for every customer as CSV")
    p.add_argument("--k", type=int, required=True, metavar="K")
    p.add_argument("--exclude-purchased", action="store_true",
                   help="discovery mode: only products the customer has not bought (default: repeats allowed)")
    p.add_argument("--output", required=True, type=Path, metavar="CSV")
    add_engine_args(p)

    @model_errors
    def export(args: argparse.Namespace) -> int:
        from engine import recommend
        from engine.models import report
        from engine.store import write_safe_csv

        if args.k < 1:
            raise UsageError("--k must be a positive whole number.")
        if not args.output.parent.exists():
            raise UsageError(f"folder {args.output.parent} does not exist; check --output.")
        engine = engine_of(args)
        model = load_active(args, recommend)
        mode = "discovery" if args.exclude_purchased else "replenishment"
        top = recommend.top_k_all(model, args.k, mode, progress=progress(True), engine=engine)
        write_safe_csv(top[["customer_id", "rank", "product_id", "score"]], args.output)
        emit(args, {"model_version": model.version, "mode": mode, "k": args.k,
                    "n_customers": int(top["customer_id"].nunique()), "n_rows": len(top),
                    "output": str(args.output), **report(engine, top.attrs.get("workers"))},
             f"wrote top-{args.k} ({mode}) for {top['customer_id'].nunique()} customers to {args.output}")
        return 0

    p.set_defaults(func=export)
