"""An order line is never known by its position: a re-upload missing a line neither shifts nor overwrites another,
lines it lacks are kept and listed, and numbers are checked at the door (NaN, infinity, out of range, mixed decimal
marks). Generated files, a real store, the real CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import duckdb
import pytest
from _helpers import q, write

from engine.ingest import ingest, missing_lines, undo_upload
from engine.store import MIGRATIONS, Store

RETAIL = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
# The first ten lines of the real retail log: invoice 536365 has seven lines, 536366 two, 536367 one.
LINES = [
    "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "536365,84406B,CREAM CUPID HEARTS COAT HANGER,8,2010-12-01 08:26:00,2.75,17850,United Kingdom",
    "536365,84029G,KNITTED UNION FLAG HOT WATER BOTTLE,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "536365,84029E,RED WOOLLY HOTTIE WHITE HEART.,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "536365,22752,SET 7 BABUSHKA NESTING BOXES,2,2010-12-01 08:26:00,7.65,17850,United Kingdom",
    "536365,21730,GLASS STAR FROSTED T-LIGHT HOLDER,6,2010-12-01 08:26:00,4.25,17850,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850,United Kingdom",
    "536366,22632,HAND WARMER RED POLKA DOT,6,2010-12-01 08:28:00,1.85,17850,United Kingdom",
    "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,13047,United Kingdom",
]


def retail(lines: list[str]) -> str:
    return RETAIL + "\n".join(lines) + "\n"


def invoice(store: Store, order_id: str) -> tuple[list[str], float]:
    """An order's products in line order, and its revenue."""
    rows = q(store, "SELECT product_id, revenue FROM orders WHERE order_id = ? ORDER BY line_no", [order_id])
    return [p for p, _ in rows], round(sum(r for _, r in rows), 2)


def test_a_reupload_missing_one_line_changes_no_other_line(tmp_path, store):
    first = ingest(store, write(tmp_path, "a.csv", retail(LINES)))
    before = q(store, "SELECT * FROM orders ORDER BY order_id, line_no")
    assert invoice(store, "536365") == (["85123A", "71053", "84406B", "84029G", "84029E", "22752", "21730"], 139.12)
    again = ingest(store, write(tmp_path, "b.csv", retail(LINES[:1] + LINES[2:])))
    # Nothing vanished, nothing counted twice, nothing reported as updated.
    assert (again.rows_read, again.rows_loaded, again.rows_updated, again.rows_duplicate) == (9, 0, 0, 9)
    assert q(store, "SELECT * FROM orders ORDER BY order_id, line_no") == before
    assert again.lines_missing == 1
    assert any("missing from this export" in w and "71053" in w for w in again.warnings)
    listed = missing_lines(store, again.batch_id)
    assert [(r[0], r[1], r[3], r[-1]) for r in listed] == [("536365", 2, "71053", first.batch_id)]
    # Undo keeps working: the later upload goes with its list, the first one's lines stay as they were.
    undo_upload(store, again.batch_id)
    assert q(store, "SELECT * FROM orders ORDER BY order_id, line_no") == before
    assert q(store, "SELECT count(*) FROM upload_missing") == [(0,)]


def test_a_line_rejected_at_the_door_does_not_shift_its_neighbours(tmp_path, store):
    broken = LINES[:1] + [LINES[1].replace("WHITE METAL", "WHITE\x00METAL")] + LINES[2:]
    first = ingest(store, write(tmp_path, "a.csv", retail(broken)))
    assert first.rows_rejected == 1
    assert invoice(store, "536365")[0] == ["85123A", "84406B", "84029G", "84029E", "22752", "21730"]
    fixed = ingest(store, write(tmp_path, "b.csv", retail(LINES)))
    assert (fixed.rows_loaded, fixed.rows_updated, fixed.rows_duplicate, fixed.lines_missing) == (1, 0, 9, 0)
    products, revenue = invoice(store, "536365")
    assert sorted(products) == sorted(["85123A", "71053", "84406B", "84029G", "84029E", "22752", "21730"])
    assert revenue == 139.12
    assert q(store, "SELECT line_no FROM orders WHERE product_id = '71053'") == [(7,)]  # after the order's last line
    assert q(store, "SELECT count(*), count(DISTINCT (order_id, line_no)) FROM orders") == [(10, 10)]


def test_a_changed_line_is_an_update_of_itself_and_a_new_line_is_added(tmp_path, store):
    ingest(store, write(tmp_path, "a.csv", retail(LINES)))
    changed = [LINES[0].replace(",6,", ",4,")] + [LINES[5].replace("22752", "99999")] + LINES[2:5] + LINES[6:]
    b = ingest(store, write(tmp_path, "b.csv", retail(changed)))
    # 85123A changed quantity: an update of line 1; 99999 is new; 71053 and 22752 are missing, kept.
    assert (b.rows_loaded, b.rows_updated, b.rows_duplicate, b.lines_missing) == (1, 1, 7, 2)
    assert q(store, "SELECT line_no, quantity FROM orders WHERE order_id = '536365' AND product_id = '85123A'") == [
        (1, 4.0)]
    assert q(store, "SELECT line_no FROM orders WHERE product_id = '99999'") == [(8,)]
    assert sorted(r[3] for r in missing_lines(store, b.batch_id)) == ["22752", "71053"]
    undo_upload(store, b.batch_id)
    assert invoice(store, "536365") == (["85123A", "71053", "84406B", "84029G", "84029E", "22752", "21730"], 139.12)


def test_two_lines_of_one_product_are_its_first_and_second_occurrence(tmp_path, store):
    twice = LINES[:3] + [LINES[1].replace(",6,", ",2,")]
    ingest(store, write(tmp_path, "a.csv", retail(twice)))
    again = ingest(store, write(tmp_path, "b.csv", retail(twice)))
    assert (again.rows_loaded, again.rows_duplicate, again.lines_missing) == (0, 4, 0)
    assert q(store, "SELECT line_no, quantity FROM orders WHERE product_id = '71053' ORDER BY line_no") == [
        (2, 6.0), (4, 2.0)]


def test_a_platform_line_id_identifies_a_line_wherever_it_stands(tmp_path, store):
    head = "Order,Line Item ID,Date,SKU,Qty,Price\n"
    rows = [f"A{i // 3},{1000 + i},2024-02-0{1 + i // 3},SKU{i % 2},1,{5 + i}.00" for i in range(9)]
    first = ingest(store, write(tmp_path, "a.csv", head + "\n".join(rows) + "\n"), kind="orders")
    assert first.rows_loaded == 9
    assert q(store, "SELECT count(*) FROM orders WHERE line_id IS NOT NULL") == [(9,)]
    # Reversed, one line left out, one repeated (overlapping pages), one price corrected.
    later = [rows[i] for i in (8, 7, 6, 5, 4, 3, 3, 2, 0)]
    later[0] = later[0].replace("13.00", "13.50")
    again = ingest(store, write(tmp_path, "b.csv", head + "\n".join(later) + "\n"), kind="orders")
    assert (again.rows_loaded, again.rows_updated, again.lines_missing) == (0, 1, 1)
    assert again.rows_read == again.rows_loaded + again.rows_updated + again.rows_rejected + again.rows_duplicate
    assert q(store, "SELECT line_id, unit_price FROM orders WHERE order_id = 'A2' ORDER BY line_no") == [
        ("1006", 11.0), ("1007", 12.0), ("1008", 13.5)]
    assert [r[0] for r in missing_lines(store, again.batch_id)] == ["A0"]


def test_a_shopify_export_missing_an_order_line(tmp_path, store):
    head = ("Name,Email,Financial Status,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
            "Lineitem sku,Billing Country\n")
    order = ["#1001,ana@example.com,paid,EUR,2026-03-02 10:14:03 +0100,1,Linen Shirt,49.00,LS-1,DE",
             "#1001,,,,2026-03-02 10:14:03 +0100,2,Canvas Tote,15.00,TOTE,",
             "#1001,,,,2026-03-02 10:14:03 +0100,1,Wool Beanie,19.00,BEANIE,"]
    ingest(store, write(tmp_path, "a.csv", head + "\n".join(order) + "\n"))
    again = ingest(store, write(tmp_path, "b.csv", head + "\n".join([order[0], order[2]]) + "\n"))
    assert (again.rows_updated, again.rows_duplicate, again.lines_missing) == (0, 2, 1)
    assert q(store, "SELECT product_id, quantity, revenue FROM orders ORDER BY line_no") == [
        ("LS-1", 1.0, 49.0), ("TOTE", 2.0, 30.0), ("BEANIE", 1.0, 19.0)]


def test_a_database_from_before_line_identity_is_migrated_and_keeps_undo(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for version, sql in enumerate(MIGRATIONS[:5], start=1):
        con.execute(sql)
        con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
    con.execute("""INSERT INTO orders (order_id, line_no, order_ts, product_id, quantity, unit_price, revenue, batch_id)
                   VALUES ('536365', 1, '2010-12-01', '85123A', 6, 2.55, 15.3, 'old'),
                          ('536365', 2, '2010-12-01', '71053', 6, 3.39, 20.34, 'old'),
                          ('536366', 1, '2010-12-01', '22633', 'NaN', 1.85, 'NaN', 'old'),
                          ('536367', 1, '2010-12-01', '84879', 32, 'inf', 'inf', 'old')""")
    con.execute("INSERT INTO uploads (batch_id, file_name, kind, rows_read, rows_loaded, uploaded_at) "
                "VALUES ('old', 'old.csv', 'orders', 2, 2, '2020-01-01')")
    con.close()
    store = Store.open(path)
    try:
        assert q(store, "SELECT max(version) FROM schema_version") == [(len(MIGRATIONS),)]
        assert q(store, "SELECT count(*) FROM orders WHERE line_id IS NULL") == [(2,)]
        # Lines stored with impossible numbers before the check are set aside, with their reason, not lost.
        assert [r[0].split(",")[0] for r in q(store, "SELECT raw FROM rejected_rows ORDER BY raw")] == ["536366", "536367"]
        b = ingest(store, write(tmp_path, "b.csv", retail([LINES[1]])))
        assert (b.rows_loaded, b.lines_missing) == (0, 1)  # 71053 is line 2, as stored
        assert q(store, "SELECT product_id, line_no FROM orders ORDER BY line_no") == [("85123A", 1), ("71053", 2)]
        undo_upload(store, b.batch_id)
        undo_upload(store, "old")
        assert q(store, "SELECT count(*) FROM orders") == [(0,)]
    finally:
        store.close()


@pytest.mark.parametrize("value", ["NaN", "nan", "inf", "-Infinity", "1e309", "1e13"])
def test_impossible_numbers_are_rejected_per_row_with_the_reason(tmp_path, store, value):
    bad = LINES[1].replace("3.39", value)
    report = ingest(store, write(tmp_path, "a.csv", retail([LINES[0], bad, LINES[2]])))
    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    (reason,) = q(store, "SELECT reason FROM rejected_rows")[0]
    assert "in column UnitPrice" in reason and ("not a finite number" in reason or "beyond ±1,000,000,000,000" in reason)
    assert all(math.isfinite(v) for (v,) in q(store, "SELECT quantity * unit_price + revenue FROM orders"))


def test_an_impossible_quantity_in_a_generic_file_is_rejected_too(tmp_path, store):
    text = "order,date,product,qty,price\nA1,2024-01-02,Shirt,NaN,12.50\nA2,2024-01-03,Mug,1,3.20\n" \
           "A3,2024-01-03,Mug,1e400,3.20\n"
    report = ingest(store, write(tmp_path, "a.csv", text), kind="orders", mapping={"quantity": "qty"})
    assert (report.rows_loaded, report.rows_rejected) == (1, 2)


def test_each_value_is_read_by_its_own_decimal_mark(tmp_path, store):
    text = ("order,date,product,qty,price\nA1,2024-01-02,Shirt,1,12.50\nA2,2024-01-03,Sofa,1,\"1.234,56\"\n"
            "A3,2024-01-04,Lamp,1,\"1,234.56\"\nA4,2024-01-05,Table,1,\"1,234\"\nA5,2024-01-05,Mug,1,3.20\n")
    report = ingest(store, write(tmp_path, "a.csv", text), kind="orders")
    assert q(store, "SELECT order_id, unit_price FROM orders ORDER BY order_id") == [
        ("A1", 12.5), ("A2", 1234.56), ("A3", 1234.56), ("A4", 1234.0), ("A5", 3.2)]
    (warning,) = [w for w in report.warnings if "thousands group" in w]
    assert warning.startswith("1 value in column price") and "'1,234'" in warning


def test_a_decimal_comma_column_reads_its_ambiguous_values_with_a_comma(tmp_path, store):
    text = "order;date;product;qty;price\nA1;02.01.2024;Shirt;1;12,50\nA2;03.01.2024;Sofa;1;1.234\n" \
           "A3;04.01.2024;Lamp;1;1.234,56\nA4;05.01.2024;Mug;1;3,20\n"
    ingest(store, write(tmp_path, "a.csv", text), kind="orders")
    assert q(store, "SELECT unit_price FROM orders ORDER BY order_id") == [(12.5,), (1234.0,), (1234.56,), (3.2,)]


def test_the_cli_reports_missing_lines_in_its_json(tmp_path):
    db = tmp_path / "s.duckdb"
    a, b = write(tmp_path, "a.csv", retail(LINES)), write(tmp_path, "b.csv", retail(LINES[:1] + LINES[2:]))
    run = lambda *args: subprocess.run([sys.executable, "-m", "engine.cli", *args, "--db", str(db), "--json"],
                                       capture_output=True, text=True, timeout=120)
    assert run("ingest", str(a)).returncode == 0
    out = run("ingest", str(b))
    assert out.returncode == 0, out.stderr
    (report,) = json.loads(out.stdout)["files"]
    assert (report["rows_duplicate"], report["lines_missing"]) == (9, 1)
    assert report["mapping"]["product_id"] == {"column": "StockCode", "confidence": 1.0}
    listed = run("uploads", "missing", report["batch_id"], "--output", str(tmp_path / "missing.csv"))
    assert listed.returncode == 0, listed.stderr
    (line,) = json.loads(listed.stdout)["lines_missing"]
    assert (line["order_id"], line["line_no"], line["product_id"]) == ("536365", 2, "71053")
    assert "71053" in (tmp_path / "missing.csv").read_text()
    unknown = run("uploads", "missing", "nosuchbatch")
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
