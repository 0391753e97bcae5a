"""`storelens uploads list|undo|missing`: the upload history, taking one upload back (its rows, rejects and what was
derived from them) in one transaction, and the stored order lines an upload's orders lacked."""

from __future__ import annotations

import argparse

from ._common import emit, open_store


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `uploads` group to the parser."""
    uploads_parser = sub.add_parser("uploads", help="list uploads, or undo one")
    usub = uploads_parser.add_subparsers(dest="uploads_command", required=True)
    p = usub.add_parser("list", parents=[common], help="every upload, newest first")
    p.set_defaults(func=_cmd_list)
    p = usub.add_parser("undo", parents=[common], help="remove one upload's rows, rejects and derived data")
    p.add_argument("batch_id", metavar="BATCH_ID")
    p.set_defaults(func=_cmd_undo)
    p = usub.add_parser("missing", parents=[common],
                        help="stored order lines that this upload's orders lacked (kept, never deleted)")
    p.add_argument("batch_id", metavar="BATCH_ID")
    p.add_argument("--output", metavar="CSV", help="write them to a CSV file (formula-injection safe)")
    p.set_defaults(func=_cmd_missing)


def _cmd_list(args: argparse.Namespace) -> int:
    """Print the upload history."""
    from engine.ingest import list_uploads

    store = open_store(args)
    try:
        rows = list_uploads(store)
    finally:
        store.close()
    lines = [
        f"{u.batch_id}  {u.created_at:%Y-%m-%d %H:%M}  {u.file} ({u.format}, {u.kind}): loaded {u.rows_loaded:,}, "
        f"updated {u.rows_updated:,}, rejected {u.rows_rejected:,}, duplicate {u.rows_duplicate:,}"
        if u.created_at else f"{u.batch_id}  {u.file}" for u in rows
    ]
    emit(args, {"uploads": [u.as_dict() for u in rows]}, lines or "no uploads yet")
    return 0


def _cmd_undo(args: argparse.Namespace) -> int:
    """Undo one upload; an unknown batch id is bad input (exit 2, nothing changed)."""
    from engine.ingest import undo_upload

    store = open_store(args)
    try:
        report = undo_upload(store, args.batch_id)
    finally:
        store.close()
    emit(args, report.as_dict(), f"undone: {report.summary()}")
    return 0


def _cmd_missing(args: argparse.Namespace) -> int:
    """List the lines an upload reported "missing from this export"; an unknown batch id is bad input (exit 2)."""
    from engine.ingest import MISSING_COLUMNS, missing_lines

    store = open_store(args)
    try:
        rows = missing_lines(store, args.batch_id)
    finally:
        store.close()
    records = [dict(zip(MISSING_COLUMNS, r)) for r in rows]
    if args.output:
        import pandas as pd

        from engine.store import write_safe_csv

        write_safe_csv(pd.DataFrame(records, columns=list(MISSING_COLUMNS)), args.output)
    lines = [f"order {r['order_id']} line {r['line_no']}: {r['product_id'] or r['product_name'] or '-'} "
             f"x {r['quantity']:g}, revenue {r['revenue']:,.2f} (stored by upload {r['stored_by']})" for r in records]
    emit(args, {"batch_id": args.batch_id, "lines_missing": records},
         lines or f"upload {args.batch_id} lacked no stored line of its orders")
    return 0
