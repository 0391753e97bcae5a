"""No traceback reaches a page (error boundary, implausible dates with "All time", a busy database), hostile cells
leave every export neutralised, uploads stay private and go away, and a logged-out tab shows nothing."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine import analytics
from engine.ingest import ingest, spool_clear, spool_dir, spool_write
from engine.store import Filters, Store, safe_cell

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
PAGES = ("views/sales/overview.py", "views/reviews/sentiment.py", "views/reviews/explain.py",
         "views/reviews/drivers.py", "views/models/training.py", "views/models/versions.py", "views/data/upload.py",
         "views/data/data.py")
HOSTILE = ['=HYPERLINK("http://evil","x")', "+SUM(1,2)", "-1+cmd|' /C calc'!A0", "@IMPORT(x)", "\t=1", "\r=2"]


def _app() -> AppTest:
    return AppTest.from_file(str(APP_PATH), default_timeout=60)


def _texts(at: AppTest) -> list[str]:
    """Everything the page wrote as text (markdown, captions, alerts, titles)."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(e.value) for e in at.sidebar.caption]
    return out


def _no_traceback(at: AppTest) -> None:
    no_exception(at)
    assert not any("Traceback" in t or "Error:" in t for t in _texts(at)), _texts(at)


@pytest.fixture()
def odd_dates_db(tmp_path, monkeypatch) -> Path:
    """Orders and reviews, one of each misread into year 0005 and one into 9999."""
    path = tmp_path / "odd.duckdb"
    store = Store.open(path)
    for name in sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".tsv")):
        ingest(store, FIXTURES / name)
    for table, col, key in (("orders", "order_ts", "order_id"), ("reviews", "review_ts", "review_id")):
        ids = [r[0] for r in store.con.execute(f"SELECT DISTINCT {key} FROM {table} ORDER BY {key} LIMIT 2").fetchall()]
        store.con.execute(f"UPDATE {table} SET {col} = TIMESTAMP '0005-03-01 10:00:00' WHERE {key} = ?", [ids[0]])
        store.con.execute(f"UPDATE {table} SET {col} = TIMESTAMP '9999-12-31 10:00:00' WHERE {key} = ?", [ids[1]])
    store.close()
    return serve_db(monkeypatch, path)


def test_implausible_dates_with_all_time_break_no_page_and_are_counted(odd_dates_db):
    store = Store.open(odd_dates_db)
    try:  # the engine's queries over the whole range
        assert analytics.date_bounds(store)[0].year >= 1990 and analytics.date_bounds(store)[1].year < 9999
        assert analytics.kpis(store, Filters())[0].value is not None
        for freq in ("D", "W", "M"):
            analytics.revenue_by_category(store, Filters(), freq)
        odd = analytics.implausible_dates(store)
        assert odd["orders"] >= 2 and odd["reviews"] == 2  # order lines: an order can have several
    finally:
        store.close()
    at = _app().run()
    at.sidebar.selectbox(key="storelens_preset").set_value("All time").run()
    _no_traceback(at)
    assert any("dated before 1990 or more than a year ahead" in c.value for c in at.sidebar.caption)
    for page in PAGES:
        at.switch_page(page).run()
        _no_traceback(at)


def test_a_failing_page_shows_one_sentence_and_the_app_keeps_working(odd_dates_db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(analytics, "kpis", broken)
    at = _app().run()
    _no_traceback(at)
    assert [e.value for e in at.error] == [
        "This page could not draw the chosen dates; pick a shorter period in the sidebar "
        "(the server's log has the detail)."]
    assert "date value out of range" in caplog.text  # the detail is logged
    assert at.sidebar.selectbox  # the sidebar still works
    at.switch_page("views/data/data.py").run()
    _no_traceback(at)
    assert not at.error


def test_a_busy_database_gives_a_sentence_within_seconds(odd_dates_db):
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"),
        str(odd_dates_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        at = _app().run()
        took = time.monotonic() - start
        _no_traceback(at)
        assert [e.value for e in at.error if "The database is in use by another process" in e.value]
        assert not at.metric
        assert took < 20  # one short wait (5 s), said once, not a minute
    finally:
        holder.kill()
        holder.wait()


def test_hostile_cells_are_neutral_in_every_export(tmp_path, monkeypatch):
    """Orders, reviews and rejected rows full of formulas, through Data's "Download all", the rejected-rows CSV and
    the shared writer; numbers stay numbers."""
    path = tmp_path / "hostile.duckdb"
    src = tmp_path / "hostile_orders.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
                    "Country"])
        for i, cell in enumerate(HOSTILE):
            w.writerow([f"5{i:05d}", cell, cell, "-2" if i % 2 else "3", "2011-01-04 10:00", "1.5", cell, cell])
        w.writerow(["=BAD()", "X1", '=HYPERLINK("http://evil","x")', "not a number", "not a date", "?", "", ""])
    store = Store.open(path)
    report = ingest(store, src)
    assert report.rows_loaded == len(HOSTILE)
    store.close()
    serve_db(monkeypatch, path)

    from dashboard import services

    store = services.store()
    exports = {table: analytics.table_csv(store, table) for table in analytics.TABLES}
    exports["rejected (app)"] = services.rejected_csv()
    for name, data in exports.items():
        for row in csv.reader(io.StringIO(data.decode("utf-8"))):
            for cell in row:
                assert cell == safe_cell(cell) or cell.startswith("'"), (name, cell)
                assert not cell.startswith(("=", "+", "@", "\t", "\r")) and not (
                    cell.startswith("-") and not _number(cell)), (name, cell)
    orders = list(csv.DictReader(io.StringIO(exports["orders"].decode("utf-8"))))
    assert {r["product_name"] for r in orders} == {"'" + c for c in HOSTILE}
    assert {r["quantity"] for r in orders} <= {"3.0", "-2.0", "3", "-2"}  # numbers stay numbers
    assert report.rows_rejected == 1 and "'=BAD()" in exports["rejected (app)"].decode("utf-8")


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def test_uploads_are_private_and_removed_after_import_on_cancel_and_at_start(tmp_path, monkeypatch):
    db = serve_db(monkeypatch, tmp_path / "up.duckdb")
    folder = spool_dir(db)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    data = (FIXTURES / "shopify_orders_export.csv").read_bytes()
    path = spool_write(db, "abc", "orders.csv", data)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == data
    assert spool_clear(db) == 1 and not path.exists()  # what `storelens serve` does when it starts

    from dashboard.services import upload as up

    class _Picked:  # the st.file_uploader object as the service sees it
        name, file_id = "orders.csv", "file-1"

        def getbuffer(self):
            return memoryview(data)

    at = _app()
    at.run()  # a session for the services' session_state
    saved = up.save_upload(_Picked())
    assert saved.parent == folder and stat.S_IMODE(saved.stat().st_mode) == 0o600
    state: dict = {}
    monkeypatch.setattr(up.st, "session_state", state)
    up.discard_uploads_except([saved])
    assert saved.exists()
    assert up.discard_uploads_except([]) == 1 and not saved.exists()  # removed from the picker: cancelled
    saved = up.save_upload(_Picked())
    results = up.import_files([up.ImportItem(str(saved), "orders.csv", None)])
    assert results[0].report is not None and not saved.exists()  # gone after the import


def test_a_logged_out_tab_shows_nothing(odd_dates_db, monkeypatch):
    monkeypatch.setenv("STORELENS_PASSWORD", "correct horse battery")
    at = _app().run()  # no session cookie: the page stops before reading anything
    _no_traceback(at)
    assert [t.value for t in at.title] == ["StoreLens"] and not at.metric and not at.sidebar.selectbox
    assert any("logged out" in i.value for i in at.info)


def test_the_page_icon_is_a_local_file():
    source = APP_PATH.read_text()
    assert 'page_icon=":material' not in source and (APP_PATH.parent / "assets" / "storelens.png").is_file()
    assert os.path.getsize(APP_PATH.parent / "assets" / "storelens.png") < 4096


def test_the_shared_writer_neutralises_text_and_keeps_numbers(tmp_path):
    import pandas as pd

    from engine.store import safe_csv_bytes, write_safe_csv

    frame = pd.DataFrame({"text": [*HOSTILE, "-5", "+3.2e5", "12", "fine"], "n": range(len(HOSTILE) + 4),
                          "=header": [1.5] * (len(HOSTILE) + 4)})
    for data in (safe_csv_bytes(frame), write_safe_csv(frame, tmp_path / "out.csv").read_bytes()):
        back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        assert list(back.columns) == ["text", "n", "'=header"]
        assert back["text"].tolist() == ["'" + c for c in HOSTILE] + ["-5", "+3.2e5", "12", "fine"]
        assert back["n"].tolist() == [str(i) for i in range(len(HOSTILE) + 4)]
