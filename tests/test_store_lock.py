"""DuckDB lets one process at a time open a file: the app and the CLI take turns, and a holder that never lets go
gives one plain sentence, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.cli import main as cli
from engine.store import Store, read_rows

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


def _other_process(code: str, wait: float = 5.0) -> subprocess.CompletedProcess:
    """Run Python code in a separate process, as a shell's `storelens` command would be."""
    env = dict(os.environ, STORELENS_DB_WAIT=str(wait))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)


def test_cli_says_which_process_holds_the_database(held_db, capsys, monkeypatch):
    monkeypatch.setenv("STORELENS_DB_WAIT", "0.5")
    assert cli(["ingest", str(SAMPLE), "--db", str(held_db)]) == 1
    waiting, refused = capsys.readouterr().err.strip().split("\n")  # one line as it starts waiting, one as it stops
    assert waiting.startswith(f"storelens: the database {held_db} is in use by another process (PID ")
    assert waiting.endswith("waiting up to 0.5 s")
    assert refused.startswith(f"storelens: the database {held_db} is in use by another process (PID ")
    assert "(waited 0.5 s)" in refused and "IOException" not in refused


def test_app_shows_the_reason_instead_of_a_traceback(held_db, monkeypatch):
    serve_db(monkeypatch, held_db)
    monkeypatch.setenv("STORELENS_DB_WAIT", "0.5")
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    assert not at.exception
    assert len(at.error) == 1 and "is in use by another process" in at.error[0].value


def test_a_releasing_store_takes_turns_with_another_process(tmp_path):
    path = tmp_path / "turns.duckdb"
    store = Store.open(path, release_when_idle=True)
    assert read_rows(store, "SELECT count(*) FROM uploads") == [(0,)]
    write = (f"import duckdb; c = duckdb.connect({str(path)!r}); "
             "c.execute(\"INSERT INTO uploads (batch_id, file_name) VALUES ('b1', 'from a shell')\"); c.close()")
    done = _other_process(write)
    assert done.returncode == 0, done.stderr
    assert read_rows(store, "SELECT file_name FROM uploads") == [("from a shell",)]
    with store.hold():  # while a unit of work runs, the other process is refused
        refused = _other_process(write)
    assert refused.returncode != 0 and "lock" in refused.stderr.lower()


def test_opening_waits_for_a_brief_holder(tmp_path):
    path = tmp_path / "brief.duckdb"
    Store.open(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('ready', flush=True); "
         "time.sleep(1.5); c.close()"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        start = time.monotonic()
        store = Store.open(path, wait=30)
        assert time.monotonic() - start > 0.5
        assert store.schema_version() >= 1
        store.close()
    finally:
        holder.wait(timeout=30)


def test_cli_writes_while_the_app_is_open(tmp_path, monkeypatch):
    db = serve_db(monkeypatch, tmp_path / "shared.duckdb")
    at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
    no_exception(at)
    assert any("Upload" in i.value for i in at.info)  # empty: nothing imported yet
    done = _other_process(
        f"import sys; from engine.cli import main; sys.exit(main(['ingest', {str(SAMPLE)!r}, '--db', {str(db)!r}]))")
    assert done.returncode == 0, done.stderr
    at.switch_page("views/data/data.py").run()
    at.selectbox(key="data_table").set_value("uploads").run()
    no_exception(at)
    assert list(at.dataframe[0].value["file_name"]) == [SAMPLE.name]
