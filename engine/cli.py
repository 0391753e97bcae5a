"""The `storelens` command line: the contract's commands over the engine."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .ingest import FORMAT_NAMES, IngestError, detect, ingest, max_upload_bytes, missing_message, parse_map_arg
from .store import DatabaseLockedError, Store, default_db_path, open_shared

__all__ = ["main"]


class UsageError(Exception):
    """Bad input or usage: exit status 2 with a one-line reason."""


def _progress(enabled: bool) -> Callable[[float, str], None]:
    """Progress on stderr: a redrawn bar on a terminal, a line per tenth otherwise."""
    tty = sys.stderr.isatty()
    state = {"last": -1}

    def show(fraction: float, message: str) -> None:
        if not enabled:
            return
        pct = int(max(0.0, min(1.0, fraction)) * 100)
        if tty:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {message[:60]:<60}")
            if pct >= 100:
                sys.stderr.write("\n")
        elif pct // 10 != state["last"] // 10 or pct == 100:
            sys.stderr.write(f"{pct:3d}% {message}\n")
        state["last"] = pct
        sys.stderr.flush()

    return show


def _say_waiting(message: str) -> None:
    """Tell the user why a command pauses (the dashboard or another command is using the database)."""
    sys.stderr.write(f"storelens: {message}\n")
    sys.stderr.flush()


def _open_store(args: argparse.Namespace) -> Store:
    """The command's database, shared with a running dashboard: held only while the command reads or writes."""
    return open_shared(_db_path(args), on_wait=_say_waiting)


def _db_path(args: argparse.Namespace) -> Path:
    """--db, else $STORELENS_DB, else ./storelens.duckdb."""
    return Path(args.db) if getattr(args, "db", None) else default_db_path()


def _emit(args: argparse.Namespace, obj: dict, human: str) -> None:
    """One JSON object on stdout with --json, a readable summary otherwise."""
    if args.json:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
    else:
        sys.stdout.write(human.rstrip("\n") + "\n")


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
    store = _open_store(args)
    try:
        reports = []
        for f in files:
            report = ingest(store, f, args.kind, args.format, mapping, progress=_progress(True))
            reports.append(report)
        _score_new_reviews(store, reports)
    finally:
        store.close()
    lines = [
        f"{r.file}: {r.format} ({r.kind}) read {r.rows_read}, loaded {r.rows_loaded}, "
        f"rejected {r.rows_rejected}, duplicate {r.rows_duplicate} [batch {r.batch_id}]"
        for r in reports
    ]
    _emit(args, {"files": [r.as_dict() for r in reports]}, "\n".join(lines))
    return 0


def _score_new_reviews(store: Store, reports: list) -> None:
    """New reviews are scored right away when a sentiment model exists."""
    if not any(r.kind == "reviews" and r.rows_loaded for r in reports):
        return
    try:
        from . import sentiment
    except ImportError:
        return
    if hasattr(sentiment, "score_new"):
        try:
            sentiment.score_new(store)
        except sentiment.ModelNotFoundError:
            pass


def _serve(db: Path, port: int) -> int:
    """Run the Streamlit app on `db` until interrupted."""
    from dashboard import APP_PATH

    env = dict(os.environ, STORELENS_DB=str(db.resolve()))
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port), "--server.headless", "true",
        "--server.maxUploadSize", str(max(1, max_upload_bytes() // 2**20)),
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
    ]
    sys.stderr.write(f"StoreLens on http://localhost:{port} (database {db})\n")
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve the dashboard on an existing or new database."""
    db = _db_path(args)
    _open_store(args).close()  # create/migrate before the app opens it
    return _serve(db, args.port)


def _cmd_demo(args: argparse.Namespace) -> int:
    """Create the demo database from the built-in sample data if none exists, then serve it."""
    from .demo import load_demo

    db = _db_path(args)
    store = _open_store(args)
    try:
        if store.is_empty():
            reports = load_demo(store, progress=_progress(True))
            for r in reports:
                sys.stderr.write(f"{r.file}: loaded {r.rows_loaded} of {r.rows_read} rows\n")
    finally:
        store.close()
    return _serve(db, args.port)


def _parser() -> argparse.ArgumentParser:
    """Argument parser for every contract command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database file (default: $STORELENS_DB or ./storelens.duckdb)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object on stdout")
    parser = argparse.ArgumentParser(prog="storelens", description="StoreLens: analytics for online merchants.")
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", default=False, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", parents=[common], help="load the sample store (if the database is new) and serve it")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("serve", parents=[common], help="serve the dashboard on the database")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("ingest", parents=[common], help="import order/review exports")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--kind", choices=["orders", "reviews", "products"])
    p.add_argument("--format", choices=list(FORMAT_NAMES))
    p.add_argument("--map", help="canonical=source column pairs, comma-separated (e.g. order_ts=Date,revenue=Total)")
    p.set_defaults(func=_cmd_ingest)

    _add_model_commands(sub, common)
    return parser


def _add_model_commands(sub, common: argparse.ArgumentParser) -> None:
    """Model commands are registered by their engine modules when those are installed."""
    try:
        from . import _cli_models
    except ImportError:
        return
    _cli_models.register(sub, common, _open_store, _emit, _progress, UsageError)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `storelens` command; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except (UsageError, IngestError) as exc:
        sys.stderr.write(f"storelens: {exc}\n")
        return 2
    except DatabaseLockedError as exc:  # not bad input (exit 1), but a plain sentence rather than a class name
        sys.stderr.write(f"storelens: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("storelens: interrupted\n")
        return 1
    except Exception as exc:  # the contract's exit 1: anything else, still one readable line
        sys.stderr.write(f"storelens: {type(exc).__name__}: {exc}\n")
        if os.environ.get("STORELENS_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
