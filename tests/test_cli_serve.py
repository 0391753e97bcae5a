"""`storelens demo` builds the demo database through the importer and serves the app."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import duckdb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_creates_the_database_then_serves(tmp_path):
    db, port = tmp_path / "demo.duckdb", _free_port()
    env = dict(os.environ, STORELENS_DB=str(db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        deadline, healthy = time.monotonic() + 120, False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    healthy = r.status == 200
                    break
            except OSError:
                time.sleep(0.5)
        assert healthy, proc.stderr.read().decode() if proc.poll() is not None else "no answer from the app"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    con = duckdb.connect(str(db), read_only=True)
    counts = dict(con.execute("SELECT kind, sum(rows_loaded) FROM uploads GROUP BY kind").fetchall())
    con.close()
    assert counts["orders"] > 30_000 and counts["reviews"] > 5_000 and counts["products"] == 200
