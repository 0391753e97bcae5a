"""engine.analytics on a real DuckDB store with a small, hand-checked set of orders."""

from __future__ import annotations

import io
import os
import statistics
import time
from datetime import date, datetime

import pandas as pd
import pytest

from engine import analytics as A
from engine.analytics import Filters
from engine.store import Store

COLUMNS = ("order_id", "line_no", "order_ts", "customer_id", "product_id", "product_name", "category",
           "quantity", "unit_price", "revenue", "currency", "status", "batch_id")

# Current period 2024-01-08 .. 2024-01-14 (a Monday to a Sunday), previous 2024-01-01 .. 2024-01-07.
LINES = [
    # order, line, timestamp, customer, product, category, qty, revenue, status
    ("Z0", 1, "2023-12-20 12:00:00", "c9", "p1", "X", 1, 7.0, "completed"),       # before both periods
    ("A1", 1, "2024-01-02 09:00:00", "c1", "p1", "X", 1, 10.0, "completed"),
    ("A1", 2, "2024-01-02 09:00:00", "c1", "p2", "Y", 1, 20.0, "completed"),
    ("A2", 1, "2024-01-05 10:00:00", "c1", "p1", "X", 1, 5.0, "completed"),
    ("A3", 1, "2024-01-06 11:00:00", "c2", "p2", "Y", 5, 100.0, "cancelled"),     # cancelled: never counts
    ("B1", 1, "2024-01-08 00:00:00", "c1", "p1", "X", 3, 30.0, "completed"),      # first second of the period
    ("B2", 1, "2024-01-10 15:00:00", "c2", "p2", "Y", 2, 40.0, "completed"),
    ("B3", 1, "2024-01-12 08:00:00", "c2", "p1", "X", -1, -15.0, "returned"),     # a return reduces revenue
    ("B4", 1, "2024-01-13 18:00:00", None, "p3", "X", 1, 50.0, "completed"),      # guest
    ("B5", 1, "2024-01-14 20:00:00", "c3", "p2", "Y", 1, 25.0, "cancelled"),
    ("B6", 1, "2024-01-11 12:00:00", "c2", "p1", "X", 1, 10.0, "pending"),
    ("B7", 1, "2024-01-14 23:59:59", "c4", "p2", "Y", 1, 5.0, "completed"),       # last second of the period
    ("B8", 1, "2024-01-09 00:00:00", "c5", "p3", "Y", 1, 2.0, "completed"),       # c5: two orders on one
    ("B9", 1, "2024-01-09 00:00:00", "c5", "p3", "Y", 1, 3.0, "completed"),       # date-only timestamp
    ("C1", 1, "2024-01-15 00:00:00", "c1", "p3", None, 10, 999.0, "completed"),   # after the period
]
CUR = Filters(date(2024, 1, 8), date(2024, 1, 14))


def _insert(store: Store, lines) -> None:
    rows = []
    for order_id, line_no, ts, customer, product, category, qty, revenue, status in lines:
        rows.append((order_id, line_no, datetime.fromisoformat(ts), customer, product, f"Product {product}",
                     category, float(qty), revenue / qty, revenue, "EUR", status, "batch-1"))
    store.con.executemany(
        f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
    )
    store.con.execute(
        "INSERT INTO uploads (batch_id, file_name, format, kind, rows_read, rows_loaded, rows_rejected, "
        "rows_duplicate, uploaded_at) VALUES ('batch-1', 'orders.csv', 'generic', 'orders', ?, ?, 1, 0, now())",
        [len(rows) + 1, len(rows)],
    )
    store.con.execute(
        "INSERT INTO rejected_rows VALUES ('batch-1', 'orders.csv', 7, 'x,y,z', 'missing order date (column d)')"
    )


@pytest.fixture()
def store():
    s = Store.open(":memory:")
    _insert(s, LINES)
    yield s
    s.close()


def _by_key(kpis):
    return {k.key: k for k in kpis}


def test_kpis_current_and_previous_period(store):
    k = _by_key(A.kpis(store, CUR))
    assert [x.key for x in A.kpis(store, CUR)] == ["revenue", "orders", "aov", "customers", "repeat_rate"]
    # current: B1 30 + B2 40 - B3 15 + B4 50 + B6 10 + B7 5 + B8 2 + B9 3; B5 cancelled, C1 after the end
    assert k["revenue"].value == pytest.approx(125.0)
    assert k["orders"].value == 7  # B1 B2 B4 B6 B7 B8 B9 (B3 is only a return, B5 cancelled)
    assert k["aov"].value == pytest.approx(125.0 / 7)
    assert k["customers"].value == 4  # c1 c2 c4 c5 (guest and cancelled-only c3 not counted)
    assert k["repeat_rate"].value == pytest.approx(2 / 4)  # c2 (B2, B6) and c5 (B8, B9 at the same time)
    # previous period: A1 30 + A2 5; A3 cancelled
    assert k["revenue"].previous == pytest.approx(35.0)
    assert k["orders"].previous == 2
    assert k["aov"].previous == pytest.approx(17.5)
    assert k["customers"].previous == 1
    assert k["repeat_rate"].previous == pytest.approx(1.0)
    assert k["revenue"].change == pytest.approx((125 - 35) / 35)
    assert k["orders"].change == pytest.approx(2.5)
    assert k["revenue"].unit == "EUR" and k["aov"].unit == "EUR" and k["orders"].unit is None


def test_category_filter_applies_to_kpis(store):
    k = _by_key(A.kpis(store, Filters(CUR.start, CUR.end, ("X",))))
    assert k["revenue"].value == pytest.approx(30 - 15 + 50 + 10)
    assert k["orders"].value == 3  # B1 B4 B6
    assert k["customers"].value == 2  # c1 c2
    assert k["repeat_rate"].value == pytest.approx(0.0)
    assert k["revenue"].previous == pytest.approx(15.0)  # A1 line 1 + A2


def test_uncategorised_lines_are_a_category(store):
    assert A.categories(store) == sorted(["X", "Y", A.UNCATEGORISED])
    k = _by_key(A.kpis(store, Filters(date(2024, 1, 15), date(2024, 1, 15), (A.UNCATEGORISED,))))
    assert k["revenue"].value == pytest.approx(999.0)


def test_open_filters_cover_all_data(store):
    k = _by_key(A.kpis(store, Filters()))
    everything = sum(r[7] for r in LINES if r[8] != "cancelled")
    assert k["revenue"].value == pytest.approx(everything)
    assert k["revenue"].previous == pytest.approx(0.0)
    assert k["revenue"].change is None  # nothing to compare with


def test_empty_store_gives_empty_kpis():
    s = Store.open(":memory:")
    assert A.date_bounds(s) is None
    assert all(k.value is None for k in A.kpis(s, Filters()))
    assert A.revenue_by_category(s, Filters(), "W").empty
    assert A.top_products(s, Filters()).empty
    s.close()


def test_filters_validate_range():
    with pytest.raises(ValueError):
        Filters(date(2024, 2, 1), date(2024, 1, 1))
    assert Filters(categories=("b", "a", "b")).categories == ("a", "b")


def test_date_bounds(store):
    assert A.date_bounds(store) == (date(2023, 12, 20), date(2024, 1, 15))


def test_revenue_by_category_daily_and_weekly(store):
    daily = A.revenue_by_category(store, CUR, "D")
    got = {(r.period.date(), r.category): r.revenue for r in daily.itertuples()}
    assert got == {
        (date(2024, 1, 8), "X"): 30.0, (date(2024, 1, 9), "Y"): 5.0, (date(2024, 1, 10), "Y"): 40.0, (date(2024, 1, 11), "X"): 10.0,
        (date(2024, 1, 12), "X"): -15.0, (date(2024, 1, 13), "X"): 50.0, (date(2024, 1, 14), "Y"): 5.0,
    }
    weekly = A.revenue_by_category(store, CUR, "W")
    assert {(r.period.date(), r.category): r.revenue for r in weekly.itertuples()} == {
        (date(2024, 1, 8), "X"): 75.0, (date(2024, 1, 8), "Y"): 50.0,
    }
    monthly = A.revenue_by_category(store, Filters(), "M")
    assert monthly.groupby("period")["revenue"].sum().round(2).to_dict() == {
        pd.Timestamp("2023-12-01"): 7.0, pd.Timestamp("2024-01-01"): 35.0 + 125.0 + 999.0,
    }
    with pytest.raises(ValueError):
        A.revenue_by_category(store, CUR, "Q")


def test_top_products(store):
    top = A.top_products(store, CUR, n=10)
    assert list(top["product_id"]) == ["p3", "p2", "p1"]
    assert list(top["revenue"]) == [55.0, 45.0, 25.0]
    assert list(top["units"]) == [3.0, 3.0, 3.0]  # p1: 3 - 1 + 1
    assert list(A.top_products(store, CUR, n=1)["product_id"]) == ["p3"]
    assert list(top["product_name"]) == ["Product p3", "Product p2", "Product p1"]  # from the order lines
    assert top["category"].iloc[1:].tolist() == ["Y", "X"]  # p3 sold in two categories: either is fine


def test_top_products_prefer_catalogue_names(store):
    store.con.execute("INSERT INTO products (product_id, product_name, category) VALUES ('p2', 'Linen Shirt', 'Tops')")
    top = A.top_products(store, CUR, n=10).set_index("product_id")
    assert top.loc["p2", "product_name"] == "Linen Shirt" and top.loc["p2", "category"] == "Tops"
    assert top.loc["p1", "product_name"] == "Product p1"


def test_user_values_are_parameters_not_sql(store):
    evil = "X'); DROP TABLE orders; --"
    k = _by_key(A.kpis(store, Filters(CUR.start, CUR.end, (evil,))))
    assert k["revenue"].value == 0.0
    assert A.count_rows(store, "orders", evil) == 0
    assert A.count_rows(store, "orders") == len(LINES)
    with pytest.raises(ValueError):
        A.browse(store, "orders; DROP TABLE orders", 10, 0)


def test_browse_pages_and_search(store):
    first = A.browse(store, "orders", limit=5, offset=0)
    second = A.browse(store, "orders", limit=5, offset=5)
    assert len(first) == 5 and len(second) == 5
    everything = A.browse(store, "orders", limit=100, offset=0)
    assert everything["order_ts"].is_monotonic_increasing  # orders are browsed in time order
    assert list(pd.concat([first, second])["order_id"]) == list(everything["order_id"][:10])
    assert list(first["order_id"])[:3] == ["Z0", "A1", "A1"]  # orders are browsed in time order
    assert A.count_rows(store, "orders", "c2") == 4
    assert set(A.browse(store, "orders", 100, 0, "C2")["customer_id"]) == {"c2"}  # case-insensitive
    assert A.count_rows(store, "orders", "%") == 0  # LIKE wildcards are literal text
    assert A.count_rows(store, "rejected_rows", "order date") == 1
    assert A.table_columns(store, "orders")[:3] == ["order_id", "line_no", "order_ts"]
    assert "order_ts" not in A.table_columns(store, "orders", text_only=True)


def test_table_csv_is_the_whole_table(store):
    data = A.table_csv(store, "orders")
    df = pd.read_csv(io.BytesIO(data))
    assert len(df) == len(LINES)
    assert list(df.columns[:3]) == ["order_id", "line_no", "order_ts"]
    assert df["revenue"].sum() == pytest.approx(sum(r[7] for r in LINES))
    for table in A.TABLES:  # every table exports, with its header even when empty
        assert A.table_csv(store, table).split(b"\n", 1)[0].decode().split(",") == A.table_columns(store, table)


def test_uploads_and_rejected_rows(store):
    up = A.uploads(store)
    assert list(up["file_name"]) == ["orders.csv"]
    assert int(up["rows_rejected"].iloc[0]) == 1
    rej = A.rejected_rows(store, "batch-1")
    assert list(rej["row_number"]) == [7] and rej["reason"].iloc[0].startswith("missing order date")
    assert A.rejected_rows(store, "nope").empty
    assert len(A.rejected_rows(store)) == 1
    # The version fingerprints the set of uploads: an undo followed by an import keeps the count but not the version.
    one = A.data_version(store)
    store.con.execute("UPDATE uploads SET batch_id = 'batch-2'")
    assert A.data_version(store) != one


def test_kpis_through_the_real_importer(tmp_path):
    """The Shopify example: #1002 is cancelled, so revenue is #1001's two lines (2 x 19.00 + 20.00)."""
    from pathlib import Path

    from engine.ingest import ingest

    s = Store.open(tmp_path / "db.duckdb")
    ingest(s, Path(__file__).parent / "fixtures" / "formats" / "shopify_orders_export.csv")
    k = _by_key(A.kpis(s, Filters()))
    assert k["revenue"].value == pytest.approx(58.0)
    assert k["orders"].value == 1
    s.close()


BUDGET_MS = float(os.environ.get("STORELENS_QUERY_BUDGET_MS", "150"))


@pytest.mark.slow
def test_overview_queries_fast_on_a_million_lines(tmp_path):
    """Each Overview query within 150 ms (median of 5) on 1,000,000 order lines (run on an idle machine)."""
    s = Store.open(tmp_path / "big.duckdb")
    # Shaped like a retail transaction log: ~18 lines an order, ~6,000 customers, 3,800 products in 8
    # categories, two years, 2% cancelled orders and some returns.
    s.con.execute(
        """INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, product_name, category, quantity,
                              unit_price, revenue, currency, country, status, batch_id)
           SELECT 'O' || (i // 18)::VARCHAR, (i % 18 + 1)::INTEGER,
             TIMESTAMP '2023-01-01' + to_seconds((i // 18) * 1130),
             CASE WHEN hash(i // 18) % 4 = 0 THEN NULL ELSE 'C' || (hash(i // 18) % 6000)::VARCHAR END,
             'P' || (hash(i) % 3800)::VARCHAR, 'Product ' || (hash(i) % 3800)::VARCHAR,
             'Cat ' || (hash(i) % 3800 % 8)::VARCHAR,
             CASE WHEN i % 50 = 0 THEN -1 ELSE 1 + i % 3 END, 10.0 + i % 40,
             (CASE WHEN i % 50 = 0 THEN -1 ELSE 1 + i % 3 END) * (10.0 + i % 40), 'EUR', 'DE',
             CASE WHEN (i // 18) % 50 = 0 THEN 'cancelled' ELSE 'completed' END, 'b1'
           FROM range(1000000) t(i)"""
    )
    s.con.execute("CHECKPOINT")
    for f in (Filters(), Filters(date(2024, 1, 1), date(2024, 3, 31)), Filters(categories=("Cat 1", "Cat 3"))):
        for name, query in A.OVERVIEW_QUERIES.items():
            query(s, f)  # warm
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                query(s, f)
                times.append((time.perf_counter() - t0) * 1000)
            assert statistics.median(times) <= BUDGET_MS, (name, f, times)
    s.close()
