"""Importer, issue 31: files nobody has shown us. One test per failure class of the issue, each on a small generated
file (never a copy of a corpus file), through `ingest` or the real CLI with --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from _helpers import q, write

from engine.ingest import detect, ingest

ROOT = Path(__file__).resolve().parent.parent
_WORDS = ["sturdy and well made, my kids love it", "arrived late and the box was crushed", "colour is lovely",
          "stopped working after two weeks of light use", "exactly as pictured, would buy again"]


def _cli_json(path: Path, db: Path) -> dict:
    """`storelens ingest FILE --db DB --json`, no --map, as a new user runs it."""
    out = subprocess.run([sys.executable, "-m", "engine.cli", "ingest", str(path), "--db", str(db), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["files"][0]


def test_a_basket_log_without_prices_or_dates_loads_as_orders(tmp_path):
    rows = "".join(f"{1000 + i // 4},{200 + (i * 7) % 30},{i % 4 + 1},{i % 2}\n" for i in range(80))
    path = write(tmp_path, "baskets.csv", "order_id,product_id,add_to_cart_order,reordered\n" + rows)
    out = _cli_json(path, tmp_path / "s.duckdb")
    assert (out["kind"], out["rows_loaded"], out["rows_rejected"]) == ("orders", 80, 0)
    assert out["mapping"]["order_id"]["column"] == "order_id"
    assert out["mapping"]["product_id"]["column"] == "product_id"
    assert any("without revenue" in w for w in out["warnings"])
    assert any("without dates" in w for w in out["warnings"])


def test_a_point_of_sale_log_with_date_time_transaction_item_and_no_price(tmp_path, store):
    items = ["Bread", "Coffee", "Tea", "Cake", "Scone"]
    rows = "".join(f"2024-03-{1 + i // 10:02d},{8 + i % 9:02d}:{i % 60:02d}:00,{500 + i // 3},{items[i % 5]}\n"
                   for i in range(60))
    path = write(tmp_path, "pos.csv", "Date,Time,Transaction,Item\n" + rows)
    report = ingest(store, path)
    assert (report.kind, report.rows_loaded, report.rows_rejected) == ("orders", 60, 0)
    assert q(store, "SELECT count(DISTINCT order_id), count(revenue), min(order_ts)::VARCHAR FROM orders") == [
        (20, 0, "2024-03-01 08:00:00")]


def test_an_order_log_with_no_date_loads_without_dates(tmp_path, store):
    rows = "".join(f"A{i // 2},SKU{i % 7},{1 + i % 3},{4.5 + i % 5:.2f}\n" for i in range(40))
    path = write(tmp_path, "nodate.csv", "order number,sku,qty,unit price\n" + rows)
    report = ingest(store, path)
    assert (report.kind, report.rows_loaded, report.rows_rejected) == ("orders", 40, 0)
    assert q(store, "SELECT count(order_ts), count(revenue) FROM orders") == [(0, 40)]
    assert any("without dates" in w for w in report.warnings)


def test_a_sales_report_with_an_index_column(tmp_path, store):
    rows = "".join(f"{i},ORD{i // 2},2024-01-{1 + i % 28:02d},Client {i % 5},Widget {i % 4},{2 + i % 3},"
                   f"{10 + i % 7}.50\n" for i in range(40))
    path = write(tmp_path, "b2b.csv", ",Order ID,Date,Customer,Product,Qty,Amount\n" + rows)
    report = ingest(store, path)
    assert (report.kind, report.rows_loaded) == ("orders", 40)
    assert report.mapping["order_id"]["column"] == "Order ID"


def test_a_header_that_names_the_rating_outranks_a_0_1_score_column(tmp_path):
    rows = "".join(f"{1 + i % 5},{(i % 5) / 4:.2f},{i % 2},\"{_WORDS[i % 5]} ({i})\"\n" for i in range(50))
    path = write(tmp_path, "r.csv", "rating,score,label,comment\n" + rows)
    out = _cli_json(path, tmp_path / "s.duckdb")
    assert out["mapping"]["rating"]["column"] == "rating"
    assert out["mapping"]["rating"]["confidence"] >= 0.8
    assert out["mapping"]["text"]["column"] == "comment"


def test_a_value_only_guess_stays_below_0_8_and_is_named_in_the_warnings(tmp_path):
    rows = "".join(f"{i % 4 + 1},\"{_WORDS[i % 5]} and more words about it, number {i}\"\n" for i in range(40))
    path = write(tmp_path, "r.csv", "col_a,col_b\n" + rows)
    out = _cli_json(path, tmp_path / "s.duckdb")
    assert out["kind"] == "reviews"
    assert all(entry["confidence"] < 0.8 for entry in out["mapping"].values())
    assert any(w.startswith("guessed, check them:") for w in out["warnings"])


def test_the_buyers_own_words_win_over_a_machine_translation(tmp_path, store):
    rows = "".join(f"{1 + i % 5},\"{_WORDS[i % 5]} (en) {i}\",\"muy bien hecho y resistente, número {i}\"\n"
                   for i in range(30))
    path = write(tmp_path, "r.csv", "rating,translated_review,review\n" + rows)
    assert detect(path).mapping["text"] == ("review",)


def test_body_over_title_by_length_and_position(tmp_path):
    body = [w + ", and then some more about the delivery and the packaging of it all" for w in _WORDS]
    rows = "".join(f"{1 + i % 5},\"{body[i % 5][:30]}...\",\"{body[i % 5]} {i}\"\n" for i in range(30))
    path = write(tmp_path, "r.csv", "stars,headline,content\n" + rows)
    det = detect(path)
    assert (det.mapping["title"], det.mapping["text"]) == (("headline",), ("content",))


def test_a_ledger_keeps_sales_and_rejects_the_rest_as_not_a_sale(tmp_path, store):
    kinds = [("Website Payment", "25.00"), ("Payment Refund", "-25.00"), ("General Withdrawal", "-100.00"),
             ("Express Checkout Payment", "40.00"), ("Fee Reversal", "1.20"), ("Express Checkout Payment", "12.00")]
    rows = "".join(f"03/{1 + i % 28:02d}/2024,T{i:05d},{kinds[i % 6][0]},Completed,{kinds[i % 6][1]},USD\n"
                   for i in range(60))
    path = write(tmp_path, "ledger.csv", "Date,Transaction ID,Type,Status,Gross,Currency\n" + rows)
    report = ingest(store, path)
    assert report.kind == "orders"
    assert report.mapping["revenue"]["column"] == "Gross"
    assert (report.rows_loaded, report.rows_rejected) == (30, 30)
    assert q(store, "SELECT DISTINCT split_part(reason, ' (', 1) FROM rejected_rows") == [("not a sale",)]


def test_a_sparse_invoice_id_loses_to_the_records_own_id(tmp_path, store):
    rows = "".join(f"ch_{i:06x}a,2024-05-{1 + i % 28:02d} 10:00,{20 + i}.00,usd,"
                   f"{'in_%05d' % i if i % 3 else ''},pm_{i:05d}\n" for i in range(30))
    path = write(tmp_path, "pay.csv", "id,Created (UTC),Amount,Currency,Invoice ID,Card ID\n" + rows)
    report = ingest(store, path)
    assert report.mapping["order_id"]["column"] == "id"
    assert "product_id" not in report.mapping  # a card's id is no product's
    assert (report.rows_loaded, report.rows_rejected) == (30, 0)


def test_relative_dates_count_back_from_the_files_latest_absolute_date(tmp_path, store):
    dates = ["20 Des 2023", "2 weeks ago", "3 hari lalu", "Lebih dari 1 tahun lalu", "05 Jan 2024", "kemarin"]
    rows = "".join(f"{1 + i % 5},\"{_WORDS[i % 5]} #{i}\",{dates[i % 6]}\n" for i in range(30))
    path = write(tmp_path, "r.csv", "rating,review,review date\n" + rows)
    report = ingest(store, path)
    assert report.rows_loaded == 30
    assert any("counted back from the column's latest absolute date (2024-01-05" in w for w in report.warnings)
    got = q(store, "SELECT review_ts::DATE::VARCHAR FROM reviews "
                   "WHERE regexp_extract(text, '#(\\d+)$', 1)::INTEGER < 6 "
                   "ORDER BY regexp_extract(text, '#(\\d+)$', 1)::INTEGER")
    assert [d for (d,) in got] == ["2023-12-20", "2023-12-22", "2024-01-02", "2023-01-05", "2024-01-05",
                                   "2024-01-04"]


def test_relative_dates_alone_count_back_from_the_import_time_with_a_warning(tmp_path, store):
    rows = "".join(f"{1 + i % 5},\"{_WORDS[i % 5]} {i}\",{1 + i % 9} bulan lalu\n" for i in range(20))
    path = write(tmp_path, "r.csv", "rating,ulasan,waktu\n" + rows)
    report = ingest(store, path)
    assert report.rows_loaded == 20 and q(store, "SELECT count(review_ts) FROM reviews") == [(20,)]
    assert any("counted back from the import time" in w for w in report.warnings)


def test_month_names_in_other_languages(tmp_path, store):
    dates = ["3 de março de 2024", "14 févr. 2024", "1 Dez 2023", "7 Ağustos 2023", "20 Des 2023", "9 dic 2023"]
    rows = "".join(f"A{i},{d},Mug,2.50\n" for i, d in enumerate(dates))
    path = write(tmp_path, "o.csv", "order id,order date,product,price\n" + rows)
    assert ingest(store, path).rows_loaded == 6
    assert q(store, "SELECT order_ts::DATE::VARCHAR FROM orders ORDER BY order_id") == [
        ("2024-03-03",), ("2024-02-14",), ("2023-12-01",), ("2023-08-07",), ("2023-12-20",), ("2023-12-09",)]


def test_verbose_headers_with_units_in_parentheses(tmp_path, store):
    rows = "".join(f"U***{i},{1 + i % 5},\"{_WORDS[i % 5]} {i}\",{1 + i % 28} Aug 2024,{9 + i}.0,{i * 3}\n"
                   for i in range(30))
    path = write(tmp_path, "r.csv", "Reviewer name,Rating (number),Review (text),Review date (date time),"
                                    "Product price,Total sold\n" + rows)
    det = detect(path)
    assert det.kind == "reviews"
    assert (det.mapping["rating"], det.mapping["text"], det.mapping["review_ts"]) == (
        ("rating (number)",), ("review (text)",), ("review date (date time)",))


def test_tab_delimited_content_in_a_csv_and_pipe_delimited_files(tmp_path, store):
    body = "".join(f"A{i}\t2024-02-{1 + i:02d}\tMug {i}\t{3 + i}.50\n" for i in range(10))
    tabbed = write(tmp_path, "tabs.csv", "order id\torder date\tproduct\tprice\n" + body)
    piped = write(tmp_path, "pipes.csv", "order id|order date|product|price\n"
                  + body.replace("\t", "|").replace("A", "P"))
    assert ingest(store, tabbed).rows_loaded == 10
    assert ingest(store, piped).rows_loaded == 10


def test_names_that_describe_something_else_are_not_taken(tmp_path):
    """'Payment Type' sorts payments (no category), 'Customer Note' is text (no customer id), 'Review Consumer User
    Id' is the reviewer's (no review id), 'Business Unit Id' is the shop's (no product id), a receipt is an order."""
    rows = "".join(f"R{i // 3},2024-05-{1 + i // 12:02d},{['Bread', 'Milk', 'Eggs'][i % 3]},{1 + i % 2},"
                   f"{['2.10', '0.99', '3.49'][i % 3]},{['Cash', 'Card'][i % 2]},\n" for i in range(60))
    det = detect(write(tmp_path, "pos.csv", "Receipt No,Date,Item,Qty,Price,Payment Type,Customer Note\n" + rows))
    assert det.mapping["order_id"] == ("receipt no",)
    assert "category" not in det.mapping and "customer_id" not in det.mapping
    rows = "".join(f"2024-02-{1 + i % 28:02d},u{i % 9:04x}beef,\"{_WORDS[i % 5]} {i}\",{1 + i % 5},5f1a\n"
                   for i in range(40))
    det = detect(write(tmp_path, "tp.csv", "Review Created (UTC),Review Consumer User Id,Review Content,"
                                           "Review Stars,Business Unit Id\n" + rows))
    assert det.mapping.get("customer_id") == ("review consumer user id",)
    assert "review_id" not in det.mapping and "product_id" not in det.mapping


def test_a_basket_log_confirmed_on_the_upload_form_still_loads(tmp_path, store):
    """The Upload page passes the form's mapping back: a basket log has no date or price column to ask for."""
    rows = "".join(f"{1000 + i // 4},{200 + (i * 7) % 30},{i % 2}\n" for i in range(40))
    path = write(tmp_path, "baskets.csv", "order_id,product_id,reordered\n" + rows)
    det = detect(path, kind="orders", mapping={"order_id": "order_id", "product_id": "product_id"})
    assert det.missing == []
    report = ingest(store, path, kind="orders", mapping={"order_id": "order_id", "product_id": "product_id"})
    assert report.rows_loaded == 40
