"""`storelens segment`: learn the customer segments and churn risk of the database's orders (a new model version)
and write every customer's segment, risk and RFM values as CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import UsageError, add_engine_args, emit, engine_of, model_errors, open_store, progress


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `segment` command to the parser."""
    p = sub.add_parser("segment", parents=[common], help="segment customers and score their churn risk")
    p.add_argument("--output", type=Path, default=None, metavar="CSV",
                   help="write customer_id, segment, churn_risk, recency, frequency, monetary per customer")
    p.add_argument("--horizon", type=int, default=90, metavar="DAYS",
                   help="churn = no purchase within this many days (default 90)")
    p.add_argument("--seed", type=int, default=0, help="seed (a fixed seed gives identical segments and risks)")
    add_engine_args(p)

    @model_errors
    def segment(args: argparse.Namespace) -> int:
        if args.horizon < 1:
            raise UsageError("--horizon must be a positive number of days.")
        if args.output is not None and not args.output.parent.exists():
            raise UsageError(f"the folder of --output ({args.output.parent}) does not exist.")
        from engine.models import report as engine_report
        from engine.segments import SegmentConfig, train, write_segment_csv

        engine = engine_of(args)
        store = open_store(args)
        try:
            model = train(store, SegmentConfig(seed=args.seed, horizon_days=args.horizon), progress=progress(True),
                          engine=engine)
        finally:
            store.close()
        if args.output is not None:
            write_segment_csv(model.customers, args.output)
        report = model.metrics
        sizes = model.customers["segment"].value_counts()
        names = [n for n, _ in model.segment_names] or list(sizes.index)
        churn = report["churn"]
        payload = {
            "n_customers": report["n_customers"],
            "segments": [{"name": n, "size": int(sizes.get(n, 0))} for n in names],
            "model_version": model.version, "k": report.get("k"), "guest_orders": report["guest_orders"],
            "churn": {k: churn.get(k) for k in ("available", "reason", "horizon_days", "model", "baselines",
                                                "best_single", "auc_margin_over_best_single", "verdict")},
            "rfm_segments": [{"name": r["name"], "size": r["size"]} for r in report["rfm_segments"]],
            "seconds": report["seconds"], "output": None if args.output is None else str(args.output),
            **engine_report(engine, model.ray_workers),
        }
        human = [f"{report['n_customers']:,} customers in {len(names)} segments (model {model.version}):"]
        human += [f"  {s['name']}: {s['size']:,}" for s in payload["segments"]]
        human.append(churn["verdict"] if churn.get("available") else churn.get("reason", ""))
        if args.output is not None:
            human.append(f"wrote {len(model.customers):,} customers to {args.output}")
        emit(args, payload, human)
        return 0

    p.set_defaults(func=segment)
