"""`storelens ingest`: validate every file first (nothing written on bad input), then import each as one
transaction and score new reviews when a sentiment model exists."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.ingest import FORMAT_NAMES, detect, ingest, missing_message, parse_map_arg
from engine.store import Store

from ._common import UsageError, emit, open_store, progress


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `ingest` to the parser."""
    p = sub.add_parser("ingest", parents=[common], help="import order/review exports")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--kind", choices=["orders", "reviews", "products"])
    p.add_argument("--format", choices=list(FORMAT_NAMES))
    p.add_argument("--map", help="canonical=source column pairs, comma-separated (e.g. order_ts=Date,revenue=Total)")
    p.set_defaults(func=_cmd_ingest)


def _cmd_ingest(args: argparse.Namespace) -> int:
    """Validate every file first (nothing is written on bad input), then import each as one transaction."""
    mapping = parse_map_arg(args.map)
    files = [Path(f) for f in args.files]
    for f in files:
        if not f.exists():
            raise UsageError(f"{f} does not exist; check the path.")
        det = detect(f, args.kind, args.format, mapping)
        if det.missing:
            raise UsageError(missing_message(det))
        if det.format == "generic":  # matched by header names: show the guess, so a wrong one can be fixed
            sys.stderr.write(f"storelens: {det.file_name} ({det.kind}) columns: {det.mapping_summary()}. "
                             "Change any with --map FIELD=COLUMN.\n")
    store = open_store(args)
    try:
        reports = []
        for f in files:
            report = ingest(store, f, args.kind, args.format, mapping, progress=progress(True))
            reports.append(report)
        _score_new_reviews(store, reports)
    finally:
        store.close()
    lines = [
        f"{r.file}: {r.format} ({r.kind}) read {r.rows_read}, loaded {r.rows_loaded}, "
        f"rejected {r.rows_rejected}, duplicate {r.rows_duplicate} [batch {r.batch_id}]"
        for r in reports
    ]
    emit(args, {"files": [r.as_dict() for r in reports]}, "\n".join(lines))
    return 0


def _score_new_reviews(store: Store, reports: list) -> None:
    """New reviews are scored right away when a sentiment model exists."""
    if not any(r.kind == "reviews" and r.rows_loaded for r in reports):
        return
    from engine import sentiment

    if sentiment.has_model(store):  # light: torch loads only when there is a model to score with
        sentiment.score_new(store)


