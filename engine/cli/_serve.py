"""`storelens serve` and `storelens demo`: the dashboard on a database (the demo's built from the sample exports)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from engine.ingest import max_upload_bytes

from ._common import db_path, open_store, progress


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `demo` and `serve` to the parser."""
    p = sub.add_parser("demo", parents=[common], help="load the sample store (if the database is new) and serve it")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("serve", parents=[common], help="serve the dashboard on the database")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=_cmd_serve)


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
    db = db_path(args)
    open_store(args).close()  # create/migrate before the app opens it
    return _serve(db, args.port)


def _cmd_demo(args: argparse.Namespace) -> int:
    """Create the demo database from the built-in sample data if none exists, then serve it."""
    from engine.demo import load_demo

    db = db_path(args)
    store = open_store(args)
    try:
        if store.is_empty():
            reports = load_demo(store, progress=progress(True))
            for r in reports:
                sys.stderr.write(f"{r.file}: loaded {r.rows_loaded} of {r.rows_read} rows\n")
    finally:
        store.close()
    return _serve(db, args.port)


