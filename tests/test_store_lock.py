"""A database held by another process (DuckDB: one writer process per file) gives one plain sentence, not a trace."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _helpers import serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.cli import main as cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "judgeme_reviews_export.csv"


@pytest.fixture()
def held_db(tmp_path) -> Iterator[Path]:
    """A database file that another process keeps open, as a running `storelens serve` does."""
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield path
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_cli_says_which_process_holds_the_database(held_db, capsys):
    assert cli(["ingest", str(SAMPLE), "--db", str(held_db)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"storelens: the database {held_db} is in use by another process (PID ")
    assert "IOException" not in err


def test_app_shows_the_reason_instead_of_a_traceback(held_db, monkeypatch):
    serve_db(monkeypatch, held_db)
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "is in use by another process" in at.error[0].value
