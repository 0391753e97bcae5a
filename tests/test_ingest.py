"""Importer: every known format, the real-export quirks, the counts invariant and the duplicate rule."""

from __future__ import annotations

import importlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from _helpers import q, write

from engine.cli import main as cli
from engine.ingest import IngestError, detect, ingest
from engine.store import Store

FORMATS = Path(__file__).parent / "fixtures" / "formats"

# file, format, kind, rows_read, loaded, rejected, duplicate
EXPECTED = [
    ("shopify_orders_export.csv", "shopify_orders", "orders", 3, 3, 0, 0),
    ("shopify_product_reviews_export.csv", "shopify_product_reviews", "reviews", 2, 2, 0, 0),
    ("judgeme_reviews_export.csv", "judgeme_reviews", "reviews", 3, 3, 0, 0),
    ("yotpo_reviews_export.csv", "yotpo_reviews", "reviews", 3, 3, 0, 0),
    ("woocommerce_analytics_orders.csv", "woocommerce_analytics_orders", "orders", 2, 2, 0, 0),
    ("woocommerce_order_items_export.csv", "woocommerce_order_items", "orders", 2, 2, 0, 0),
    ("amazon_all_orders_report.tsv", "amazon_all_orders", "orders", 2, 2, 0, 0),
    ("etsy_sold_orders.csv", "etsy_sold_orders", "orders", 2, 2, 0, 0),
]


@pytest.mark.parametrize("name,fmt,kind,read,loaded,rejected,dup", EXPECTED)
def test_every_format_imports_with_kind_and_counts(store, name, fmt, kind, read, loaded, rejected, dup):
    report = ingest(store, FORMATS / name)
    assert (report.format, report.kind) == (fmt, kind)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate) == (
        read, loaded, rejected, dup)
    again = ingest(store, FORMATS / name)
    assert (again.rows_loaded, again.rows_duplicate, again.rows_rejected) == (0, read, 0)
    uploads = q(store, "SELECT count(*), sum(rows_read) FROM uploads")
    assert uploads == [(2, 2 * read)]


def test_shopify_blank_order_cells_offsets_and_cancellation(store):
    ingest(store, FORMATS / "shopify_orders_export.csv")
    rows = q(store, "SELECT order_id, line_no, order_ts, customer_id, quantity, unit_price, revenue, currency, status "
                    "FROM orders ORDER BY order_id, line_no")
    assert rows[0] == ("#1001", 1, datetime(2026, 3, 2, 9, 14, 3), "ana@example.com", 2.0, 19.0, 38.0, "EUR", "completed")
    # The second line item leaves order-level cells blank: they come from the first line.
    assert rows[1][:4] == ("#1001", 2, datetime(2026, 3, 2, 9, 14, 3), "ana@example.com")
    assert rows[1][7] == "EUR"
    # Phone when there is no email; the line discount comes off; 'Cancelled at' wins over 'refunded'.
    assert rows[2][3] == "+49 30 0000000" and rows[2][6] == 35.0 and rows[2][8] == "cancelled"


def test_woocommerce_packed_lines_and_currency_text(store):
    ingest(store, FORMATS / "woocommerce_analytics_orders.csv")
    rows = q(store, "SELECT order_id, line_no, product_name, quantity, round(revenue, 2) FROM orders ORDER BY 1, 2")
    assert rows == [
        ("3101", 1, "Linen Shirt", 2.0, 38.67),
        ("3101", 2, "Canvas Tote", 1.0, 19.33),
        ("3102", 1, "Leather Weekender Bag", 1.0, 1250.5),
    ]


def test_amazon_item_price_is_a_total_and_cancelled_rows_keep(store):
    ingest(store, FORMATS / "amazon_all_orders_report.tsv")
    rows = q(store, "SELECT quantity, unit_price, revenue, status, customer_id FROM orders ORDER BY order_id")
    assert rows == [(2.0, 19.0, 38.0, "completed", None), (1.0, 0.0, 0.0, "cancelled", None)]


def test_etsy_short_us_dates_and_sku_lists(store):
    ingest(store, FORMATS / "etsy_sold_orders.csv")
    rows = q(store, "SELECT order_id, line_no, order_ts::DATE, product_id, revenue FROM orders ORDER BY 1, 2")
    assert rows[0][2].isoformat() == "2025-12-30"
    assert [r[3] for r in rows[1:]] == ["CANDLE-01", "SOAP-02"]
    assert sum(r[4] for r in rows[1:]) == pytest.approx(40.0 - 4.0)


def test_reviews_entities_decoded_markup_kept_and_ids(store):
    ingest(store, FORMATS / "yotpo_reviews_export.csv")
    ingest(store, FORMATS / "shopify_product_reviews_export.csv")
    texts = dict(q(store, "SELECT review_id, text FROM reviews"))
    assert texts["900000001"] == "Soft fabric, it's my new favourite & washes well."
    assert any(t == "<script>alert(1)</script> buy now" for t in texts.values())
    site = q(store, "SELECT product_id FROM reviews WHERE review_id = '900000003'")
    assert site == [(None,)]


def test_rating_scale_is_rescaled(tmp_path, store):
    path = write(tmp_path, "r.csv", "review_id,rating,review\nA,10,great\nB,6,ok\nC,2,bad\n")
    ingest(store, path, kind="reviews")
    assert dict(q(store, "SELECT review_id, rating FROM reviews")) == {"A": 5.0, "B": 3.0, "C": 1.0}


def test_retail_log_cancellations_returns_and_guests(tmp_path, store):
    path = write(tmp_path, "retail.csv", (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n"
        "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n"
        "536380,22961,JAM MAKING SET,-2,2010-12-01 09:45:00,1.45,,France\n"
    ))
    report = ingest(store, path)
    assert report.format == "retail_transactions" and report.rows_loaded == 4
    rows = q(store, "SELECT order_id, line_no, customer_id, quantity, revenue, status FROM orders ORDER BY order_id, line_no")
    assert rows[0] == ("536365", 1, "17850", 6.0, pytest.approx(15.3), "completed")
    assert rows[1][1] == 2
    assert rows[2] == ("536380", 1, None, -2.0, pytest.approx(-2.9), "returned")
    assert rows[3][0] == "C536379" and rows[3][5] == "cancelled" and rows[3][3] == -1.0


def test_european_export_bom_crlf_semicolons_decimal_commas_day_first(tmp_path, store):
    text = (
        "\ufeffOrder ID;Order Date;Product;Qty;Price;Customer\n"
        "A1;01/02/2024;Mug;2;1.250,50;x@y.z\n"
        "A2;03/04/2024;Cup;1;3,5;\n"
        "A3;25/12/2024;Pot;1;€ 10,00;q@y.z\n"
    )
    path = write(tmp_path, "eu.csv", text, newline="\r\n")
    report = ingest(store, path, kind="orders")
    assert report.rows_loaded == 3, report
    rows = q(store, "SELECT order_id, order_ts::DATE, unit_price, revenue FROM orders ORDER BY order_id")
    # 25/12 proves the whole column is day-first, so 01/02 is the 1st of February.
    assert [r[1].isoformat() for r in rows] == ["2024-02-01", "2024-04-03", "2024-12-25"]
    assert [r[2] for r in rows] == [1250.5, 3.5, 10.0]
    assert rows[0][3] == 2501.0


def test_month_first_decided_from_the_whole_column(tmp_path, store):
    lines = [f"O{i},0{1 + i % 9}/0{1 + i % 9}/2024,P,1,{i}.00" for i in range(30)]
    lines.append("O99,12/31/2024,P,1,5.00")
    path = write(tmp_path, "us.csv", "order id,order date,product,quantity,price\n" + "\n".join(lines) + "\n")
    ingest(store, path)
    assert q(store, "SELECT order_ts::DATE FROM orders WHERE order_id = 'O99'")[0][0].isoformat() == "2024-12-31"
    assert q(store, "SELECT count(*) FROM orders")[0][0] == 31


def test_latin1_file_and_quoted_multiline_fields(tmp_path, store):
    text = 'review_id,rating,review,author\nR1,5,"Très bien,\nmerci",Zoë\nR2,1,"Nul ""vraiment""",José\n'
    path = write(tmp_path, "latin.csv", text, encoding="latin-1")
    report = ingest(store, path, kind="reviews")
    assert report.rows_loaded == 2
    rows = dict(q(store, "SELECT author, text FROM reviews"))
    assert rows["Zoë"] == "Très bien,\nmerci" and rows["José"] == 'Nul "vraiment"'


def test_bad_rows_are_rejected_with_reasons_and_counted(tmp_path, store):
    path = write(tmp_path, "bad.csv", (
        "order id,order date,product,quantity,price\n"
        "O1,2024-01-05 10:00:00,Mug,2,3.5\n"
        "O2,not a date,Mug,1,3.5\n"
        "O3,2024-01-06 10:00:00,Mug,lots,3.5\n"
        "O4,2024-01-06 10:00:00,Mug,1,3.5,extra\n"
        ",2024-01-07 10:00:00,Mug,1,3.5\n"
        "O1,2024-01-05 10:00:00,Mug,2,3.5\n"
    ))
    report = ingest(store, path)
    assert report.rows_read == 6
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert (report.rows_loaded, report.rows_rejected) == (2, 4)
    reasons = dict(q(store, "SELECT row_number, reason FROM rejected_rows ORDER BY row_number"))
    assert reasons[3] == 'unreadable date "not a date" in column order date'
    assert reasons[4] == 'quantity is not a number: "lots" in column quantity'
    assert reasons[5] == "row has 6 fields but the header has 5"
    assert reasons[6].startswith("missing order id")
    raws = [r[0] for r in q(store, "SELECT raw FROM rejected_rows ORDER BY row_number")]
    assert raws[0] == "O2,not a date,Mug,1,3.5"


def test_rejected_rows_keep_the_cells_of_columns_read_as_numbers(tmp_path, store):
    path = write(tmp_path, "typed.csv", "order id,order date,product,quantity,price\n"
                                        "O1,2024-01-05,Mug,2,3.50\nO2,someday,Mug,1,007\n")
    assert ingest(store, path).rows_rejected == 1
    assert q(store, "SELECT raw FROM rejected_rows") == [("O2,someday,Mug,1,007",)]


def test_overlapping_exports_add_no_duplicates(tmp_path, store):
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    rows = [f"{500 + i // 3},S{i % 3},Item,1,2024-01-{1 + i // 3:02d} 10:00:00,2.0,{i % 7},UK" for i in range(30)]
    first = write(tmp_path, "jan_a.csv", header + "\n".join(rows[:20]) + "\n")
    second = write(tmp_path, "jan_b.csv", header + "\n".join(rows[12:]) + "\n")
    a, b = ingest(store, first), ingest(store, second)
    assert (a.rows_loaded, b.rows_loaded, b.rows_duplicate) == (20, 10, 8)
    assert q(store, "SELECT count(*), count(DISTINCT (order_id, line_no)) FROM orders")[0] == (30, 30)


# Few split orders among many whole ones (the usual export) take the offset path; many take one window.
@pytest.mark.parametrize("whole", [40, 0])
def test_lines_of_an_order_split_across_the_file_are_numbered_in_file_order(tmp_path, store, whole):
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    split = [("A1", "S1"), ("B1", "S2"), ("A1", "S3"), ("B1", "S4"), ("C1", "S5"), ("A1", "S6"), ("C1", "S7")]
    rows = [(f"W{i // 2}", f"T{i}") for i in range(whole)] + split
    body = "".join(f"{o},{s},Item,1,2024-01-05 10:00:00,2.0,7,UK\n" for o, s in rows)
    assert ingest(store, write(tmp_path, "split.csv", header + body)).rows_loaded == len(rows)
    assert q(store, "SELECT order_id, product_id, line_no FROM orders WHERE product_id LIKE 'S%' ORDER BY 2") == [
        ("A1", "S1", 1), ("B1", "S2", 1), ("A1", "S3", 2), ("B1", "S4", 2), ("C1", "S5", 1), ("A1", "S6", 3),
        ("C1", "S7", 2)]
    assert q(store, "SELECT count(*) FROM orders WHERE order_id LIKE 'W%' AND line_no > 2") == [(0,)]


def test_many_split_orders_are_numbered_in_file_order(tmp_path, store):
    # More split orders than are looked up by their row spans (_FEW_SPLIT), still few enough for the offset path.
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
    n = 80
    rows = ([(f"A{k}", f"S{k:03d}a") for k in range(n)] + [(f"W{i // 4}", f"T{i}") for i in range(1000)]
            + [(f"A{k}", f"S{k:03d}b") for k in range(n)])
    body = "".join(f"{o},{s},Item,1,2024-01-05 10:00:00,2.0,7,UK\n" for o, s in rows)
    assert ingest(store, write(tmp_path, "many_split.csv", header + body)).rows_loaded == len(rows)
    lines = q(store, "SELECT right(product_id, 1), line_no, count(*) FROM orders WHERE order_id LIKE 'A%' GROUP BY ALL "
                     "ORDER BY 1")
    assert lines == [("a", 1, n), ("b", 2, n)]


@pytest.mark.parametrize("content,needle", [
    (b"", "is empty"),
    (b"\x00\x01\x02PK\x03\x04binary", "not a CSV or TSV file"),
    (b"order id,order date,price\n", "no data rows"),
    (b"just one column\nvalue\n", "does not look like a CSV"),
    (b"foo,bar\n1,2\n", "cannot tell whether"),
])
def test_bad_input_gets_one_sentence_and_changes_nothing(tmp_path, store, content, needle):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=needle):
        ingest(store, path)
    assert q(store, "SELECT (SELECT count(*) FROM uploads) + (SELECT count(*) FROM orders)")[0][0] == 0


def test_mapping_that_misses_a_required_column_names_it(tmp_path, store):
    path = write(tmp_path, "m.csv", "ref,zeitpunkt,what,amount\n1,2024-01-01,Mug,3\n")
    with pytest.raises(IngestError, match="order date"):
        ingest(store, path, kind="orders", mapping={"order_id": "ref", "product_name": "what", "revenue": "amount"})
    report = ingest(store, path, kind="orders", mapping={
        "order_id": "ref", "order_ts": "zeitpunkt", "product_name": "what", "revenue": "amount"})
    assert report.rows_loaded == 1


def test_upload_limit(tmp_path, store, monkeypatch):
    monkeypatch.setenv("STORELENS_MAX_UPLOAD_MB", "0.0001")
    with pytest.raises(IngestError, match="upload limit"):
        ingest(store, FORMATS / "shopify_orders_export.csv")


def test_an_upload_is_one_transaction(store, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importlib.import_module("engine.ingest._importer"), "link_products", explode)  # fault injection
    with pytest.raises(RuntimeError):
        ingest(store, FORMATS / "shopify_orders_export.csv")
    assert q(store, "SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM uploads)")[0][0] == 0


def test_products_export_fills_categories(tmp_path, store):
    products = write(tmp_path, "p.csv", "Handle,Title,Variant SKU,Type\nlinen-shirt,Linen Shirt,LS-M-SAND,Tops\ncanvas-tote,Canvas Tote,TOTE-01,Bags\n")
    ingest(store, FORMATS / "shopify_orders_export.csv")
    ingest(store, products)
    ingest(store, FORMATS / "judgeme_reviews_export.csv")
    cats = dict(q(store, "SELECT product_id, category FROM orders"))
    assert cats["LS-M-SAND"] == "Tops" and cats["TOTE-01"] == "Bags"
    assert q(store, "SELECT category FROM reviews WHERE product_id = 'linen-shirt'") == [("Tops",)]


def test_generic_csv_detection_by_header_similarity(tmp_path):
    path = write(tmp_path, "g.csv", "Order Number,Order Date,Item Name,Qty,Price Each,Customer Email\n1,2024-01-01,Mug,1,2\n")
    det = detect(path)
    assert det.format == "generic" and det.kind == "orders" and not det.missing
    assert det.mapping["quantity"] == ("qty",) and det.mapping["customer_id"] == ("customer email",)
    assert list(det.preview().columns)[:2] == ["order_id", "line_no"] or "order_id" in det.preview().columns


def test_generic_reviews_keep_every_review_when_an_item_id_repeats(tmp_path, store):
    # Shaped like a public clothing-reviews dataset: an unnamed index, the garment's id on every review of it.
    path = write(tmp_path, "clothing.csv", (
        ",Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Division Name,Department Name,Class Name\n"
        "0,767,33,,Silky and comfortable,4,1,Initmates,Intimate,Intimates\n"
        "1,767,34,Love it,So pretty,5,1,General,Dresses,Dresses\n"
        "2,767,60,Meh,Too big in the chest,3,0,General,Dresses,Dresses\n"
        "3,1080,50,Nope,Fell apart after one wash,1,0,General Petite,Bottoms,Pants\n"
    ))
    det = detect(path)
    assert (det.format, det.kind) == ("generic", "reviews")
    assert det.mapping["product_id"] == ("clothing id",) and det.mapping["title"] == ("title",)
    assert "review_id" not in det.mapping and "author" not in det.mapping and "product_name" not in det.mapping
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_duplicate) == (4, 0)
    assert q(store, "SELECT product_id, count(*) FROM reviews GROUP BY 1 ORDER BY 1") == [("1080", 1), ("767", 3)]
    assert q(store, "SELECT title FROM reviews WHERE text = 'So pretty'") == [("Love it",)]


def test_a_review_id_shared_by_different_reviews_is_rejected_not_deduplicated(tmp_path, store):
    path = write(tmp_path, "ids.csv", "Review ID,Stars,Comment\nr1,5,Great fit\nr1,5,Great fit\nr1,1,Fell apart\n"
                                      "r2,4,Nice\n")
    report = ingest(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected, report.rows_duplicate) == (4, 2, 1, 1)
    [(line, raw, reason)] = q(store, "SELECT row_number, raw, reason FROM rejected_rows")
    assert line == 4 and raw == "r1,1,Fell apart"  # the line's own text, though Stars was read as numbers
    assert reason.startswith("review id r1 is already used by a different review earlier in this file")
    assert "'Review ID'" in reason
    again = ingest(store, path)
    assert (again.rows_loaded, again.rows_rejected, again.rows_duplicate) == (0, 1, 3)


def test_cli_shows_the_guessed_columns_of_a_generic_file(tmp_path, capsys):
    path = write(tmp_path, "reviews.csv", "Review ID,Stars,Comment,Shoe Name\nr1,5,Great fit,Oxford\n")
    assert cli(["ingest", "--db", str(tmp_path / "g.duckdb"), str(path)]) == 0
    err = capsys.readouterr().err
    assert ("storelens: reviews.csv (reviews) columns: review_id = 'Review ID', rating = 'Stars', "
            "text = 'Comment'; not used: 'Shoe Name'. Change any with --map FIELD=COLUMN.") in err


@pytest.mark.parametrize("header,field", [
    ("Order Number", "review_id"), ("Shoe Name", "author"), ("Division Name", "author"), ("Customer ID", "product_id"),
])
def test_look_alike_headers_do_not_take_a_field(header, field):
    from engine.ingest import similarity_mapping

    assert field not in similarity_mapping([header, "Rating", "Review Text"], "reviews")


def test_old_database_is_upgraded(tmp_path):
    import duckdb

    from engine import store as store_module

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    con.execute(store_module.MIGRATIONS[0])
    con.execute("INSERT INTO schema_version VALUES (1, now()::TIMESTAMP)")
    con.close()
    upgraded = Store.open(path)
    assert upgraded.schema_version() == store_module.SCHEMA_VERSION
    upgraded.close()


def test_cli_ingest_json_and_exit_codes(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    assert cli(["ingest", "--db", str(db), "--json", str(FORMATS / "shopify_orders_export.csv")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"][0]["rows_loaded"] == 3 and out["files"][0]["format"] == "shopify_orders"
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    assert cli(["ingest", "--db", str(db), "--json", str(FORMATS / "yotpo_reviews_export.csv"), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "empty" in captured.err
    # Nothing was written for the good file either.
    check = Store.open(db)
    assert check.con.execute("SELECT count(*) FROM reviews").fetchall()[0][0] == 0
    check.close()


def test_implausible_dates_are_kept_and_said(store, tmp_path):
    """A date column read into another century is never stored silently: the report says how many and shows one."""
    f = tmp_path / "old.csv"
    f.write_text("Order ID,Order Date,Product,Revenue\nA1,1975-03-01,Mug,10\nA2,2024-03-01,Mug,12\n")
    report = ingest(store, f, kind="orders")
    assert report.rows_loaded == 2
    assert any("1 order dates lie before 1990" in w and "1975-03-01" in w for w in report.warnings)
