"""Importer, issue 16 and two of issue 17: mapping from values and names, optional NULLs, dates in the wild,
encodings, bad lines costing one row, wide files, glob-safe names. Generated fixtures only."""

from __future__ import annotations

import pytest
from _helpers import q, write

from engine.cli import main as cli
from engine.ingest import detect, ingest


def _reviews(n: int, id_col=lambda i: f"p{i % 3}") -> str:
    texts = ["Great quality and would buy again", "Broke after a week of use", "Okay for the price and nothing more"]
    return "".join(f"{id_col(i)},{1 + i % 5},{texts[i % 3]} #{i}\n" for i in range(n))


def test_a_shared_generic_id_is_not_a_review_id_and_reviews_are_hashed(tmp_path, store):
    path = write(tmp_path, "r.csv", "id,stars,comment\n" + _reviews(30))
    det = detect(path)
    assert det.kind == "reviews" and "review_id" not in det.mapping
    assert any("not a review id" in n for n in det.notes)
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (30, 0)


def test_optional_review_values_load_as_null_and_are_counted(tmp_path, store):
    rows = "".join(f"2024-01-{1 + i:02d},{i % 5 + 1},Nice thing number {i}\n" for i in range(10))
    rows += "someday,4,Still nice\n2024-02-01,lots,Also fine\n"
    path = write(tmp_path, "r.csv", "review date,rating,review text\n" + rows)
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (11, 1)  # a rating that is there must read
    assert any(w.startswith("1 review dates could not be read, e.g. 'someday'") for w in report.warnings)
    assert q(store, "SELECT review_ts, rating FROM reviews WHERE text = 'Still nice'") == [(None, 4.0)]
    assert q(store, "SELECT reason FROM rejected_rows") == [('rating is not a number: "lots" in column rating',)]


@pytest.mark.parametrize("value,expected", [
    ("30-Jul-18", "2018-07-30 00:00:00"), ("\"09 16, 2013\"", "2013-09-16 00:00:00"),
    ("14 Apr 2023", "2023-04-14 00:00:00"), ("2020/1/5 12:00", "2020-01-05 12:00:00"),
    ("2020年1月5日", "2020-01-05 00:00:00"), ("1393545600", "2014-02-28 00:00:00"),
    ("1393545600000", "2014-02-28 00:00:00"),
])
def test_each_date_form_reads(tmp_path, store, value, expected):
    path = write(tmp_path, "o.csv", f"order id,order date,product,price\nA1,{value},Mug,2.39\n")
    assert ingest(store, path).rows_loaded == 1
    assert q(store, "SELECT order_ts::VARCHAR FROM orders") == [(expected,)]


def test_separate_date_and_time_columns_and_money_in_the_wild(tmp_path, store):
    path = write(tmp_path, "o.csv", 'order id,date,time,product,total\nA1,2024-03-05,14:30,Mug,"R$ 1.234,56"\n'
                                    'A2,2024-03-06,09:05,Cup,"R$ 2,50"\n')
    ingest(store, path)
    assert q(store, "SELECT order_ts::VARCHAR, revenue FROM orders ORDER BY order_id") == [
        ("2024-03-05 14:30:00", 1234.56), ("2024-03-06 09:05:00", 2.5)]


@pytest.mark.parametrize("encoding,text", [
    ("gb18030", "订单号,下单时间,商品名称,金额\nA1,2024-01-05,茶杯,12.5\nA2,2024-01-06,茶壶,30\n"),
    ("shift_jis", "order id,order date,product,price\nA1,2024-01-05,湯呑み茶碗です,12.5\nA2,2024-01-06,急須です,30\n"),
    ("cp1252", "order id,order date,product,price\nA1,2024-01-05,Crème brûlée set,12.5\nA2,2024-01-06,Café €,30\n"),
    ("utf-16", "order id,order date,product,price\nA1,2024-01-05,Straße,12.5\nA2,2024-01-06,Øre,30\n"),
])
def test_encodings_are_detected(tmp_path, store, encoding, text):
    path = write(tmp_path, "e.csv", text, encoding)
    assert ingest(store, path).rows_loaded == 2
    expected = text.splitlines()[1].split(",")[2]
    assert q(store, "SELECT product_name FROM orders ORDER BY order_id LIMIT 1") == [(expected,)]


def test_repeated_headers_blank_lines_nul_and_unclosed_quote_cost_one_row_each(tmp_path, store):
    header = "order id,order date,product,price"
    body = [f"O{i},2024-01-05,Mug {i},2.5" for i in range(2000)]
    body[100] = header
    body[200] = ""
    body[300] = 'O300,2024-01-05,"Mug with an open quote,2.5'
    body[400] = "O400,2024-01-05,Mu\x00g,2.5"
    body[500] = "O500,2024-01-05," + "x" * 140_000 + ",2.5"
    path = write(tmp_path, "bad.csv", header + "\n" + "\n".join(body) + "\n")
    report = ingest(store, path)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert (report.rows_loaded, report.rows_rejected) == (1995, 5)
    reasons = dict(q(store, "SELECT row_number, reason FROM rejected_rows"))
    assert reasons[102] == "repeated header row" and reasons[202] == "blank line"
    assert reasons[302].startswith("malformed quoting") and "NUL" in reasons[402] and "128 KiB" in reasons[502]



@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("where", [0, 50])
def test_a_blank_line_alone_is_found_and_rejected(tmp_path, store, newline, where):
    # DuckDB's reader skips blank lines silently; the line count against the records read must catch them.
    header = "order id,order date,product,price"
    body = [f"O{i},2024-01-05,Mug {i},2.5" for i in range(100)]
    body.insert(where, "")
    path = tmp_path / "blank.csv"
    path.write_bytes((newline.join([header, *body]) + newline).encode())
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (100, 1)
    assert q(store, "SELECT row_number, reason FROM rejected_rows") == [(where + 2, "blank line")]


def test_signs_of_bad_lines_are_found_across_the_scans_reads(tmp_path, store):
    # The byte scan reads 1 MiB at a time: a repeated header across the first boundary and an over-long cell across
    # the second are still found. Body lines are 33 bytes and the header line 34, so positions are exact.
    header = "order id,order date,product,price"
    body = [f"O{i:06d},2024-01-05,Mug{i:06d},2.5" for i in range(70_000)]
    mib = 1 << 20
    first = (mib - 2 * 34) // 33 + 1  # starts within 34 bytes before the first boundary, ends after it
    second = (2 * mib - 50_000 - 34) // 33  # 140 KB from 50 KB before the second boundary
    body[first] = header
    body[second] = f"O{second:06d},2024-01-05," + "x" * 140_000 + ",2.5"
    assert 34 + 33 * first < mib < 34 + 33 * first + 34
    path = write(tmp_path, "straddle.csv", header + "\n" + "\n".join(body) + "\n")
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (69_998, 2)
    reasons = dict(q(store, "SELECT row_number, reason FROM rejected_rows"))
    assert reasons[first + 2] == "repeated header row" and "128 KiB" in reasons[second + 2]


def test_quoted_line_breaks_without_blank_lines_are_no_rejects(tmp_path, store):
    rows = "".join(f'R{i},2024-01-05,Mug,4,"Nice mug.\nWould buy again {i}."\n' for i in range(50))
    path = write(tmp_path, "r.csv", "review id,review date,product,rating,review text\n" + rows)
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (50, 0)

def test_a_glob_in_a_file_name_reads_only_that_file(tmp_path, store):
    for name in ("orders_a.csv", "orders_b.csv"):
        write(tmp_path, name, "order id,order date,product,price\nA1,2024-01-05,Mug,2\n")
    star = write(tmp_path, "orders*.csv", "order id,order date,product,price\nZ9,2024-01-05,Mug,2\n")
    assert ingest(store, star).rows_read == 1
    assert q(store, "SELECT order_id FROM orders") == [("Z9",)]


def test_empty_order_id_column_makes_each_line_an_order(tmp_path, store):
    rows = "".join(f",2024-01-0{1 + i},Mug {i},{i + 1}\n" for i in range(5))
    path = write(tmp_path, "o.csv", "Order ID,Sale Date,Item Name,Price\n" + rows)
    report = ingest(store, path)
    assert report.rows_loaded == 5 and any("its own order" in w for w in report.warnings)
    assert q(store, "SELECT count(DISTINCT order_id) FROM orders") == [(5,)]
    assert ingest(store, path).rows_duplicate == 5


def test_wide_file_is_recognised_and_unpivoted_on_request(tmp_path, store):
    products = ["croissant", "baguette", "latte", "muffin", "scone"]
    lines = []
    for i in range(12):
        qty = ["" if (i + k) % 3 else str(1 + k % 2) + ".0" for k in range(len(products))]
        lines.append(f"2024-01-05 1{i % 10}:00,{5000 + i * 100}.0," + ",".join(qty) + f",ord{i}")
    path = write(tmp_path, "w.csv", "datetime,total," + ",".join(products) + ",order_id\n" + "\n".join(lines) + "\n")
    det = detect(path)
    assert det.kind == "orders" and set(det.wide) == set(products)
    assert any("--unpivot" in n for n in det.notes)
    report = ingest(store, path, unpivot=True)
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    per_order = q(store, "SELECT order_id, sum(revenue), count(*) FROM orders GROUP BY 1 ORDER BY 1 LIMIT 1")
    assert per_order[0][0] == "ord0" and round(per_order[0][1]) == 5000 and per_order[0][2] >= 1


def test_low_confidence_guesses_are_not_applied_when_the_user_maps(tmp_path, store):
    path = write(tmp_path, "m.csv", "ref,zeitpunkt,what,amount,misc\n1,2024-01-01,Mug,3,xx\n2,2024-01-02,Cup,4,yy\n")
    det = detect(path, kind="orders", mapping={"order_id": "ref", "order_ts": "zeitpunkt", "revenue": "amount"})
    assert det.mapping["order_ts"] == ("zeitpunkt",)
    assert "product_name" not in det.mapping and det.suggestions.get("product_name", ("", 0))[1] < 0.5
    table = det.mapping_table()
    assert {r["column"] for r in table} == {"ref", "zeitpunkt", "what", "amount", "misc"}
    assert all(len(r["samples"]) <= 3 for r in table)


def test_headers_in_other_languages_and_values_decide(tmp_path):
    path = write(tmp_path, "de.csv", "Bestellnummer,Bestelldatum,Artikel,Menge,Preis,Produktqualität\n"
                                     + "".join(f"B{i},2024-01-0{1 + i},Tasse {i},{i + 1},\"3,50\",{1 + i % 5}\n"
                                               for i in range(6)))
    det = detect(path)
    assert det.kind == "orders"
    assert (det.mapping["order_id"], det.mapping["order_ts"], det.mapping["product_name"], det.mapping["quantity"],
            det.mapping["unit_price"]) == (("bestellnummer",), ("bestelldatum",), ("artikel",), ("menge",), ("preis",))


def test_a_file_that_shows_neither_kind_is_exit_2(tmp_path, capsys):
    path = write(tmp_path, "x.csv", "foo,bar\n1,2\n3,4\n")
    assert cli(["ingest", "--db", str(tmp_path / "x.duckdb"), str(path)]) == 2
    assert "cannot tell whether" in capsys.readouterr().err


def test_cli_prints_the_mapping_table(tmp_path, capsys):
    path = write(tmp_path, "r.csv", "Review ID,Stars,Comment\nr1,5,Great fit\nr2,1,Fell apart\n")
    assert cli(["ingest", "--db", str(tmp_path / "g.duckdb"), str(path)]) == 0
    err = capsys.readouterr().err
    assert "column" in err and "sample values" in err and "'Great fit'" in err and "rating" in err


def test_no_sniffing_crash_on_an_unquoted_tsv(tmp_path, store):
    rows = "".join(f"R{i}\t{1 + i % 5}\tLe \"meilleur\" produit {i}\t2013-02-1{i % 10}\n" for i in range(6))
    path = write(tmp_path, "fr.tsv", "review_id\tstar_rating\treview_body\treview_date\n" + rows)
    report = ingest(store, path)
    assert report.rows_loaded == 6
    assert q(store, "SELECT text FROM reviews WHERE review_id = 'R0'") == [('Le "meilleur" produit 0',)]


def test_upload_form_shows_every_column_and_leaves_low_confidence_blank(tmp_path, monkeypatch):
    from dashboard import services

    monkeypatch.setenv("STORELENS_DB", str(tmp_path / "up.duckdb"))
    rows = "".join(f"r{i},{1 + i % 5},This is review number {i} and it is long enough,{30 + i}\n" for i in range(8))
    path = write(tmp_path, "rev.csv", "Review ID,Stars,Comment,Age\n" + rows)
    det = services.detect_upload(path, "rev.csv")
    table = services.column_table(det)
    assert [r["column"] for r in table] == ["Review ID", "Stars", "Comment", "Age"]
    assert all(1 <= len(r["samples"]) <= 3 for r in table)
    by_col = {r["column"]: r for r in table}
    assert services.default_field(by_col["Stars"]) == "rating"
    assert services.default_field(by_col["Age"]) == services.FIELD_NONE  # a weak guess is not applied
    assert "%" in services.confidence_label(by_col["Stars"])
    assert services.mapping_from_columns(det, {}) == {}
    # The user says Age is the author and the review id is not one: both are applied exactly.
    mapping = services.mapping_from_columns(det, {3: "author", 0: services.FIELD_NONE})
    assert mapping["author"] == "Age" and mapping["review_id"] == "" and mapping["rating"] == "Stars"
    fixed = services.detect_upload(path, "rev.csv", kind=det.kind, mapping=mapping)
    assert "review_id" not in fixed.mapping and fixed.mapping["author"] == ("age",)


def test_sentiment_train_refuses_too_few_reviews_per_class_with_counts(tmp_path, capsys):
    db = tmp_path / "s.duckdb"
    rows = "".join(f"r{i},{5 if i % 8 else 1},Review text number {i} about the product\n" for i in range(40))
    path = write(tmp_path, "r.csv", "review id,rating,review text\n" + rows)
    assert cli(["ingest", "--db", str(db), str(path)]) == 0
    capsys.readouterr()
    assert cli(["sentiment", "train", "--db", str(db), "--time-budget", "5"]) == 2
    err = capsys.readouterr().err
    assert "at least 10 rated reviews with text of each sentiment that occurs" in err
    assert "5 negative, 0 neutral, 35 positive" in err


def test_small_held_out_figures_come_with_an_interval():
    from engine.sentiment import macro_f1_interval

    low, high = macro_f1_interval([[2, 0, 0], [0, 1, 0], [0, 0, 1]])  # 4 reviews, all right: 1.0 alone says little
    assert low < 0.5 and high == 1.0
    low, high = macro_f1_interval([[500, 20, 30], [40, 400, 60], [10, 20, 900]])
    assert high - low < 0.06


@pytest.mark.parametrize("header,expected", [
    ("订单编号,下单时间,商品名称,数量,单价", ("order_id", "order_ts", "product_name", "quantity", "unit_price")),
    ("Número do pedido,Data do pedido,Produto,Quantidade,Preço", ("order_id", "order_ts", "product_name", "quantity",
                                                                "unit_price")),
    ("Número de pedido,Fecha,Producto,Cantidad,Precio", ("order_id", "order_ts", "product_name", "quantity",
                                                         "unit_price")),
    ("Numéro de commande,Date de commande,Produit,Quantité,Prix", ("order_id", "order_ts", "product_name",
                                                                  "quantity", "unit_price")),
    ("Sipariş No,Sipariş Tarihi,Ürün Adı,Adet,Birim Fiyat", ("order_id", "order_ts", "product_name", "quantity",
                                                            "unit_price")),
])
def test_order_headers_in_other_languages(tmp_path, header, expected):
    rows = "".join(f"N{i},2024-02-{1 + i:02d},Becher {i % 3},{1 + i % 4},{2 + i % 3}.50\n" for i in range(8))
    det = detect(write(tmp_path, "o.csv", header + "\n" + rows))
    assert det.kind == "orders"
    assert [f for f in expected if det.mapping.get(f)] == list(expected), det.mapping


def test_spreadsheet_mangled_ids_are_flagged_and_hashed(tmp_path, store):
    ids = ["101000000001", "1.01E+11", "102000000002", "1.01E+11"]
    rows = "".join(f"{rid},{1 + i},Review text number {i} that is long enough to read\n" for i, rid in enumerate(ids))
    path = write(tmp_path, "r.csv", "Review ID,Rating,Comment\n" + rows)
    report = ingest(store, path)
    assert (report.rows_loaded, report.rows_rejected) == (4, 0)
    assert any("1.01E+11" in w for w in report.warnings)
    assert q(store, "SELECT count(*) FROM reviews WHERE review_id LIKE '%E+%'") == [(0,)]


def test_money_with_currency_signs_and_spaces(tmp_path, store):
    path = write(tmp_path, "o.csv", 'order id,order date,product,price\nA1,2024-01-05,Mug,"$2.39 "\n'
                                    'A2,2024-01-05,Cup,"$1,250.00"\n')
    ingest(store, path)
    assert q(store, "SELECT unit_price FROM orders ORDER BY order_id") == [(2.39,), (1250.0,)]
