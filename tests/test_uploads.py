"""Correcting a wrong import: undo leaves the store as it was, replace re-imports with a fixed mapping, a changed row
is an update (not a silent duplicate), and rejected rows point at the file's own line."""

from __future__ import annotations

import json

import pytest
from _helpers import q, write

from engine import analytics
from engine.cli import main as cli
from engine.ingest import (
    UnknownUploadError,
    detect,
    earlier_uploads,
    ingest,
    list_uploads,
    mapping_differs,
    undo_upload,
)
from engine.store import Store

RETAIL = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every table of the database (schema bookkeeping aside), rows sorted: 'exactly as before' is equality."""
    tables = [t for (t,) in q(store, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                                     "AND table_type = 'BASE TABLE' ORDER BY 1") if t != "schema_version"]
    assert {"orders", "reviews", "products", "rejected_rows", "uploads", "review_sentiment", "upload_holds"} <= set(tables)
    return {t: sorted(q(store, f"SELECT * FROM {t}"), key=repr) for t in tables}


def retail_rows(numbers, quantity=lambda i: 1, price=lambda i: 2.0) -> str:
    """Invoices of three lines each: row i is invoice 500 + i // 3."""
    return "".join(f"{500 + i // 3},S{i % 3},Item {i % 3},{quantity(i)},2024-01-{1 + i // 3:02d} 10:00:00,"
                   f"{price(i)},{i % 7},UK\n" for i in numbers)


def score(store: Store, review_ids: list[str], model: str = "v1") -> None:
    """Sentiment scores as `storelens sentiment score` writes them."""
    for rid in review_ids:
        store.con.execute("INSERT INTO review_sentiment VALUES (?, 'positive', 0.1, 0.1, 0.8, ?, now()::TIMESTAMP)",
                          [rid, model])


def test_undo_of_orders_with_updates_duplicates_new_and_rejected_rows_restores_every_table(tmp_path, store):
    ingest(store, write(tmp_path, "a.csv", RETAIL + retail_rows(range(12))))
    before = snapshot(store)
    # 0-5 unchanged (duplicates), 6-8 a refund changes quantity, 9-11 a new price, 12-14 new, one bad line.
    changed = RETAIL + retail_rows(range(15), quantity=lambda i: -1 if 6 <= i <= 8 else 1,
                                   price=lambda i: 2.5 if i >= 9 else 2.0) + "599,S0,Item,1,someday,2.0,1,UK\n"
    b = ingest(store, write(tmp_path, "b.csv", changed))
    assert (b.rows_read, b.rows_loaded, b.rows_updated, b.rows_rejected, b.rows_duplicate) == (16, 3, 6, 1, 6)
    assert b.rows_read == b.rows_loaded + b.rows_updated + b.rows_rejected + b.rows_duplicate
    assert q(store, "SELECT quantity, batch_id FROM orders WHERE order_id = '502' AND line_no = 1") == [(-1.0, b.batch_id)]
    assert q(store, "SELECT rows_updated FROM uploads WHERE batch_id = ?", [b.batch_id]) == [(6,)]
    report = undo_upload(store, b.batch_id)
    assert (report.rows_removed, report.rows_restored, report.rejected_removed) == (3, 6, 1)
    assert snapshot(store) == before


def test_undo_of_reviews_restores_earlier_versions_and_their_scores(tmp_path, store):
    ingest(store, write(tmp_path, "a.csv", "Review ID,Product ID,Stars,Comment\nr1,P1,5,Great\nr2,P1,4,Nice\nr3,P2,2,Meh\n"))
    score(store, ["r1", "r2", "r3"])
    before = snapshot(store)
    b = ingest(store, write(tmp_path, "b.csv", "Review ID,Product ID,Stars,Comment\nr1,P1,4,Great\nr2,P1,4,Nice now\n"
                                               "r3,P2,2,Meh\nr4,P3,1,Broke\n"))
    assert (b.rows_loaded, b.rows_updated, b.rows_duplicate) == (1, 2, 1)
    # The later export wins; the changed reviews lose their stale scores (so they are scored again).
    assert q(store, "SELECT review_id, rating, text FROM reviews ORDER BY 1")[:2] == [("r1", 4.0, "Great"), ("r2", 4.0, "Nice now")]
    assert q(store, "SELECT review_id FROM review_sentiment ORDER BY 1") == [("r3",)]
    score(store, ["r1", "r2", "r4"], model="v2")
    report = undo_upload(store, b.batch_id)
    assert (report.rows_removed, report.rows_restored, report.products_removed) == (1, 2, 1)
    assert snapshot(store) == before


def test_a_review_that_differs_only_in_its_rating_is_an_update(tmp_path, store):
    path = write(tmp_path, "r.csv", "review_id,rating,review\nA,5,Lovely\n")
    ingest(store, path, kind="reviews")
    again = ingest(store, write(tmp_path, "r2.csv", "review_id,rating,review\nA,4,Lovely\n"), kind="reviews")
    assert (again.rows_loaded, again.rows_updated, again.rows_duplicate) == (0, 1, 0)
    assert q(store, "SELECT rating FROM reviews") == [(4.0,)]
    same = ingest(store, write(tmp_path, "r3.csv", "review_id,rating,review\nA,4,Lovely\n"), kind="reviews")
    assert (same.rows_loaded, same.rows_updated, same.rows_duplicate) == (0, 0, 1)
    assert not same.changed and "nothing changed" in same.summary()


def test_an_order_whose_status_changes_is_an_update(tmp_path, store):
    header = "order id,order date,product,quantity,price,status\n"
    ingest(store, write(tmp_path, "o1.csv", header + "O1,2024-01-05,Mug,2,3.5,pending\nO2,2024-01-05,Cup,1,2,completed\n"))
    later = ingest(store, write(tmp_path, "o2.csv", header + "O1,2024-01-05,Mug,2,3.5,refunded\nO2,2024-01-05,Cup,1,2,completed\n"))
    assert (later.rows_loaded, later.rows_updated, later.rows_duplicate) == (0, 1, 1)
    assert q(store, "SELECT order_id, status FROM orders ORDER BY 1") == [("O1", "refunded"), ("O2", "completed")]


def test_rows_another_upload_also_holds_survive_an_undo(tmp_path, store):
    empty = snapshot(store)
    a = ingest(store, write(tmp_path, "jan_a.csv", RETAIL + retail_rows(range(20))))
    b = ingest(store, write(tmp_path, "jan_b.csv", RETAIL + retail_rows(range(12, 30))))
    assert (b.rows_loaded, b.rows_duplicate) == (10, 8)
    report = undo_upload(store, a.batch_id)
    assert (report.rows_removed, report.rows_kept) == (12, 8)
    assert q(store, "SELECT count(*), min(batch_id), max(batch_id) FROM orders") == [(18, b.batch_id, b.batch_id)]
    assert q(store, "SELECT count(*) FROM products") == [(3,)]  # still referred to by jan_b's rows
    undo_upload(store, b.batch_id)
    assert snapshot(store) == empty


def test_undoing_a_middle_upload_keeps_the_later_version_and_its_chain(tmp_path, store):
    header = "review_id,rating,review\n"
    a = ingest(store, write(tmp_path, "1.csv", header + "A,5,Lovely\n"), kind="reviews")
    b = ingest(store, write(tmp_path, "2.csv", header + "A,4,Lovely\n"), kind="reviews")
    c = ingest(store, write(tmp_path, "3.csv", header + "A,3,Lovely\n"), kind="reviews")
    undo_upload(store, b.batch_id)
    assert q(store, "SELECT rating, batch_id FROM reviews") == [(3.0, c.batch_id)]
    undo_upload(store, c.batch_id)
    assert q(store, "SELECT rating, batch_id FROM reviews") == [(5.0, a.batch_id)]
    assert q(store, "SELECT count(*) FROM reviews_versions") == [(0,)]


def test_undo_of_a_catalog_takes_back_the_categories_it_filled_in(tmp_path, store):
    ingest(store, write(tmp_path, "o.csv", "order id,order date,product,quantity,price\nO1,2024-01-05,LS-1,2,3.5\n"))
    before = snapshot(store)
    catalog = ingest(store, write(tmp_path, "p.csv", "Handle,Title,Variant SKU,Type\nlinen-shirt,Linen Shirt,LS-1,Tops\n"))
    assert q(store, "SELECT category FROM orders") == [("Tops",)]
    undo_upload(store, catalog.batch_id)
    assert snapshot(store) == before


def test_replace_with_a_corrected_mapping(tmp_path, store):
    # Product id and name swapped by the first mapping; no review id column, so ids are hashed from the row.
    text = "Product Code,Product Title,Stars,Comment\n" + "".join(
        f"SKU-{i % 3},Shirt {i % 3},{1 + i % 5},Review number {i}\n" for i in range(12))
    path = write(tmp_path, "reviews.csv", text)
    wrong = ingest(store, path, kind="reviews", mapping={"product_id": "Product Title", "product_name": "Product Code"})
    assert wrong.rows_loaded == 12
    fixed = {"product_id": "Product Code", "product_name": "Product Title"}
    det = detect(path, kind="reviews", mapping=fixed)
    [earlier] = earlier_uploads(store, path)
    assert earlier.batch_id == wrong.batch_id and mapping_differs(earlier, det)
    assert not mapping_differs(earlier, detect(path, kind="reviews", mapping={
        "product_id": "Product Title", "product_name": "Product Code"}))
    report = ingest(store, path, kind="reviews", mapping=fixed, replace=True)
    assert (report.replaced, report.rows_replaced, report.rows_loaded) == ([wrong.batch_id], 12, 12)
    assert report.changed and "replaced 12 rows" in report.summary()
    assert q(store, "SELECT DISTINCT product_id, product_name FROM reviews ORDER BY 1") == [
        ("SKU-0", "Shirt 0"), ("SKU-1", "Shirt 1"), ("SKU-2", "Shirt 2")]
    assert q(store, "SELECT product_id FROM products ORDER BY 1") == [("SKU-0",), ("SKU-1",), ("SKU-2",)]
    assert [u.batch_id for u in list_uploads(store)] == [report.batch_id]


def test_replace_is_one_transaction(tmp_path, store, monkeypatch):
    import importlib

    path = write(tmp_path, "r.csv", "review_id,rating,review\nA,5,Lovely\n")
    ingest(store, path, kind="reviews")
    before = snapshot(store)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importlib.import_module("engine.ingest._importer"), "link_products", explode)  # fault injection
    with pytest.raises(RuntimeError):
        ingest(store, path, kind="reviews", mapping={"text": ""}, replace=True)
    assert snapshot(store) == before


def test_rejected_rows_carry_the_files_line_numbers(tmp_path, store):
    text = ('review_id,rating,review\n'              # 1
            'A,5,"Two\nlines"\n'                     # 2-3
            'B,x,bad rating\n'                       # 4
            '\n'                                     # 5 (blank)
            'C,4,"three\nline\ncell"\n'              # 6-8
            'D,3,too,many\n'                         # 9
            'E,-2,"neg\nrating"\n'                   # 10-11
            'F,4,fine\n')                            # 12
    report = ingest(store, write(tmp_path, "lines.csv", text), kind="reviews")
    # A blank line inside the body is a rejected row of its own (issue 16), on its line.
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (7, 3, 4)
    lines = q(store, "SELECT row_number, raw FROM rejected_rows ORDER BY 1")
    assert [n for n, _ in lines] == [4, 5, 9, 10]
    assert lines[0][1] == "B,x,bad rating" and lines[3][1] == 'E,-2,"neg\nrating"'


def test_plain_files_keep_record_numbers_as_lines(tmp_path, store):
    text = "review_id,rating,review\nA,5,ok\nB,x,bad\nC,1,2,3\nD,y,bad\n"
    ingest(store, write(tmp_path, "plain.csv", text), kind="reviews")
    assert [n for (n,) in q(store, "SELECT row_number FROM rejected_rows ORDER BY 1")] == [3, 4, 5]


def test_a_reimported_files_rejected_rows_are_stored_once(tmp_path, store):
    path = write(tmp_path, "r.csv", "review_id,rating,review\nA,5,ok\nB,x,bad\n")
    a = ingest(store, path, kind="reviews")
    b = ingest(store, path, kind="reviews")
    assert (b.rows_rejected, b.rows_duplicate) == (1, 1)
    assert q(store, "SELECT batch_id, row_number FROM rejected_rows") == [(a.batch_id, 3)]
    listed = analytics.rejected_rows(store, b.batch_id)
    assert list(listed["row_number"]) == [3] and list(listed["batch_id"]) == [b.batch_id]
    undo_upload(store, a.batch_id)
    assert q(store, "SELECT batch_id, row_number FROM rejected_rows") == [(b.batch_id, 3)]
    assert q(store, "SELECT review_id, batch_id FROM reviews") == [("A", b.batch_id)]


def test_unknown_batch_and_dry_run(tmp_path, store):
    with pytest.raises(UnknownUploadError, match="no upload has batch id"):
        undo_upload(store, "nope")
    a = ingest(store, write(tmp_path, "r.csv", "review_id,rating,review\nA,5,ok\nB,x,bad\n"), kind="reviews")
    before = snapshot(store)
    preview = undo_upload(store, a.batch_id, dry_run=True)
    assert (preview.rows_removed, preview.rejected_removed, preview.products_removed) == (1, 1, 0)
    assert "1 reviews removed; 1 rejected rows removed" in preview.summary() and snapshot(store) == before


def test_cli_uploads_list_and_undo(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    path = write(tmp_path, "r.csv", "review_id,rating,review\nA,5,ok\nB,4,fine\n")
    assert cli(["ingest", "--db", db, "--json", "--kind", "reviews", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)["files"][0]
    assert out["rows_updated"] == 0 and out["rows_read"] == out["rows_loaded"] + out["rows_updated"] + \
        out["rows_rejected"] + out["rows_duplicate"]
    assert cli(["uploads", "list", "--db", db, "--json"]) == 0
    [upload] = json.loads(capsys.readouterr().out)["uploads"]
    assert {"batch_id", "file", "format", "kind", "rows_loaded", "created_at"} <= set(upload)
    assert (upload["batch_id"], upload["file"], upload["rows_loaded"]) == (out["batch_id"], "r.csv", 2)
    assert cli(["uploads", "undo", "--db", db, "--json", "missing"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "missing" in captured.err
    assert cli(["uploads", "undo", "--db", db, "--json", out["batch_id"]]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "batch_id": out["batch_id"], "file": "r.csv", "kind": "reviews", "rows_removed": 2, "rows_restored": 0,
        "rows_kept": 0, "rejected_removed": 0, "products_removed": 0, "scores_removed": 0}
    assert cli(["uploads", "list", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"uploads": []}


def test_cli_offers_replace_for_the_same_file_with_another_mapping(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    path = write(tmp_path, "r.csv", "Review ID,Product,Product Name,Stars,Comment\nr1,P1,Mug,5,Great\n")
    assert cli(["ingest", "--db", db, str(path)]) == 0
    capsys.readouterr()
    swap = "product_id=Product Name,product_name=Product"
    assert cli(["ingest", "--db", db, "--map", swap, str(path)]) == 0
    captured = capsys.readouterr()
    assert "with a different mapping; add --replace" in captured.err
    assert cli(["ingest", "--db", db, "--map", swap, "--replace", str(path)]) == 0
    assert "replaced 1 rows of the earlier uploads" in capsys.readouterr().out
