"""The Upload page's history and undo (streamlit AppTest on a real database): a confirmation that says what will
go, the store as it was after the undo, and a result box that is never green when an import changed nothing."""

from __future__ import annotations

from pathlib import Path

from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.ingest import ingest, undo_upload
from engine.store import Store

TIMEOUT = 60


def _upload_page(db: Path) -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT).run()
    at.switch_page("views/data/upload.py").run()
    no_exception(at)
    return at


def test_undo_flow_confirms_then_removes_the_upload(tmp_path, monkeypatch):
    db = serve_db(monkeypatch, tmp_path / "undo.duckdb")
    first = tmp_path / "first.csv"
    first.write_text("review_id,rating,review,product id\nA,5,Lovely,P1\nB,x,bad,P1\n")
    second = tmp_path / "second.csv"
    second.write_text("review_id,rating,review,product id\nA,4,Lovely,P1\nC,2,Meh,P2\n")
    store = Store.open(db)
    ingest(store, first, kind="reviews")
    batch = ingest(store, second, kind="reviews").batch_id
    store.close()

    at = _upload_page(db)
    history = at.dataframe[-1].value
    assert list(history["file"]) == ["second.csv", "first.csv"]
    assert list(history["updated"]) == [1, 0] and "text = review" in history["mapping"].iloc[0]
    at.selectbox(key="undo_batch").set_value(batch).run()
    at.button(key="undo_start").click().run()
    no_exception(at)
    [warning] = [w.value.replace("\\", "") for w in at.warning]  # user text is shown escaped (inert Markdown)
    assert warning.startswith("Undo second.csv")
    assert "1 reviews removed; 1 reviews it updated back to their earlier version; 0 rejected rows" in warning
    at.button(key="undo_cancel").click().run()
    assert not at.warning and Store.open(db, read_only=True).con.execute("SELECT count(*) FROM uploads").fetchall() == [(2,)]

    at.selectbox(key="undo_batch").set_value(batch).run()
    at.button(key="undo_start").click().run()
    at.button(key="undo_confirm").click().run()
    no_exception(at)
    assert any("Undone" in s.value for s in at.success)
    assert list(at.dataframe[-1].value["file"]) == ["first.csv"]
    check = Store.open(db, read_only=True)
    assert check.con.execute("SELECT review_id, rating FROM reviews").fetchall() == [("A", 5.0)]
    [(first_batch,)] = check.con.execute("SELECT batch_id FROM uploads").fetchall()
    check.close()

    # Undone from a shell while the confirmation is open: the page drops the stale confirmation.
    at.button(key="undo_start").click().run()
    store = Store.open(db)
    undo_upload(store, first_batch)
    store.close()
    at.button(key="undo_confirm").click().run()
    no_exception(at)
    assert not at.error and any("No uploads yet" in c.value for c in at.caption)


def test_an_import_that_changes_nothing_is_not_a_success(tmp_path, monkeypatch):
    from dashboard import services

    serve_db(monkeypatch, tmp_path / "same.duckdb")
    path = tmp_path / "r.csv"
    path.write_text("review_id,rating,review\nA,5,Lovely\n")
    item = services.ImportItem(str(path), "r.csv", "reviews")
    [first] = services.import_files([item])
    assert services.result_message(first.report)[0]
    [again] = services.import_files([item])
    ok, message = services.result_message(again.report)
    assert not ok and "nothing changed" in message


def test_the_same_file_with_another_mapping_is_offered_as_a_replace(tmp_path, monkeypatch):
    from dashboard import services

    serve_db(monkeypatch, tmp_path / "replace.duckdb")
    path = tmp_path / "r.csv"
    path.write_text("Review ID,Product,Product Name,Stars,Comment\nr1,P1,Mug,5,Great\nr2,P2,Cup,4,Nice\n")
    [first] = services.import_files([services.ImportItem(str(path), "r.csv", "reviews")])
    det = services.detect_upload(path, "r.csv", kind="reviews")
    earlier, differs = services.earlier_upload(path, det)
    assert earlier.batch_id == first.report.batch_id and not differs
    swapped = {"product_id": "Product Name", "product_name": "Product"}
    earlier, differs = services.earlier_upload(path, services.detect_upload(path, "r.csv", "reviews", swapped))
    assert differs
    [again] = services.import_files([services.ImportItem(str(path), "r.csv", "reviews", tuple(swapped.items()), True)])
    ok, message = services.result_message(again.report)
    assert ok and "replaced 2 rows of the earlier upload: 2 rows loaded" in message
    assert list(services.history()["batch_id"]) == [again.report.batch_id]


def test_lines_an_export_lacks_are_listed_after_its_import(tmp_path, monkeypatch):
    from dashboard import services

    db = serve_db(monkeypatch, tmp_path / "missing.duckdb")
    head = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    lines = [f"536365,{p},Item {p},6,2010-12-01 08:26:00,2.55,17850,United Kingdom" for p in ("A1", "B2", "C3")]
    full, short = tmp_path / "full.csv", tmp_path / "short.csv"
    full.write_text(head + "\n".join(lines) + "\n")
    short.write_text(head + "\n".join([lines[0], lines[2]]) + "\n")
    services.import_files([services.ImportItem(str(full), "full.csv", "orders")])
    results = services.import_files([services.ImportItem(str(short), "short.csv", "orders")])
    assert results[0].report.lines_missing == 1

    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT).run()
    at.session_state["import_results"] = results
    at.switch_page("views/data/upload.py").run()
    no_exception(at)
    counts = at.dataframe[0].value
    assert list(counts["lines_missing"]) == [1] and list(counts["rows_duplicate"]) == [2]
    assert any("missing from this export" in w.value.replace("\\", "") for w in at.warning)
    missing = at.dataframe[1].value
    assert list(missing["product_id"]) == ["B2"] and list(missing["line_no"]) == [2]
    assert db.exists()
