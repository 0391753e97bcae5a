"""After an upload the first screen shows what was imported (issue 32, item 1): the period and the currency follow
the latest orders upload, and a sentence says so, until the merchant picks another period."""

from __future__ import annotations

import pytest
from _helpers import no_exception, serve_db, texts, write
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.ingest import ingest
from engine.store import Store

SHOP = "order,date,product,qty,price,currency\n" + "".join(
    f"S{i},2026-0{1 + i % 6}-{1 + i % 27:02d},Shirt,1,20.00,EUR\n" for i in range(60))
RETAIL = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" + "".join(
    f"{536000 + i},S{i % 5},Item {i % 5},2,2011-{1 + i % 9:02d}-{1 + i % 28:02d} 10:00:00,3.00,{i % 9},UK\n"
    for i in range(90))


def test_the_overview_opens_on_the_latest_upload_and_its_currency(tmp_path, monkeypatch):
    db = serve_db(monkeypatch, tmp_path / "shop.duckdb")
    store = Store.open(db)
    ingest(store, write(tmp_path, "shop.csv", SHOP), kind="orders")
    ingest(store, write(tmp_path, "retail.csv", RETAIL))
    store.close()

    at = AppTest.from_file(str(APP_PATH), default_timeout=90).run()
    at.switch_page("views/sales/overview.py").run()
    no_exception(at)
    f = at.session_state["storelens_filters"]
    assert (f.start.isoformat(), f.end.isoformat()) == ("2011-06-30", "2011-09-27")  # its last 90 days
    assert at.session_state["overview_currency"] == ""  # the retail log has no currency column
    [note] = [t for t in texts(at.info) if "latest upload" in t]
    assert "retail.csv" in note and "90 order lines from 2011-01-01 to 2011-09-27" in note
    revenue = next(m for m in at.metric if m.label.startswith("Revenue"))
    assert revenue.value not in ("0.00", "0", "—")

    at.sidebar.selectbox(key="storelens_preset").set_value("All time").run()
    no_exception(at)
    assert not [t for t in texts(at.info) if "latest upload" in t]


def test_reviews_without_dates_count_under_all_time_and_the_page_says_how_to_date_them(tmp_path, monkeypatch):
    db = serve_db(monkeypatch, tmp_path / "shop.duckdb")
    undated = "review_id,rating,review,product\n" + "".join(
        f"U{i},{1 + i % 5},{'Broke after a day' if i % 5 == 0 else 'Lovely and warm'} number {i},P{i % 3}\n"
        for i in range(40))
    store = Store.open(db)
    ingest(store, write(tmp_path, "shop.csv", SHOP), kind="orders")
    ingest(store, write(tmp_path, "undated.csv", undated), kind="reviews")
    store.close()

    at = AppTest.from_file(str(APP_PATH), default_timeout=90).run()
    at.sidebar.selectbox(key="storelens_preset").set_value("Last 30 days").run()
    at.switch_page("views/reviews/sentiment.py").run()
    no_exception(at)
    assert any("40 reviews have no date, so no date range holds them" in t for t in texts(at.info))
    at.sidebar.selectbox(key="storelens_preset").set_value("All time").run()
    no_exception(at)
    notes = [t for t in texts(at.caption) if "have no date" in t]
    assert notes and notes[0].startswith("40 reviews have no date: they count in the shares by category")
    assert "Upload page" in notes[0]


def test_a_bars_rows_are_captioned_with_the_bars_own_period(tmp_path, monkeypatch):
    from datetime import date

    from dashboard import services

    serve_db(monkeypatch, tmp_path / "shop.duckdb")
    store = Store.open(tmp_path / "shop.duckdb")
    ingest(store, write(tmp_path, "shop.csv", SHOP), kind="orders")
    store.close()
    at = AppTest.from_file(str(APP_PATH), default_timeout=90).run()
    at.switch_page("views/sales/overview.py").run()
    week = services.RowsQuery(period=(date(2026, 1, 5), date(2026, 1, 12)), what="Revenue of the week of 5 Jan")
    at.session_state["overview_drill"] = week
    at.run()
    no_exception(at)
    assert any("order lines in 05 Jan 2026 – 11 Jan 2026" in c for c in texts(at.caption))


BASKET = "order_id,product_id,product_name\n" + "".join(f"B{i // 3},P{i % 7},Item {i % 7}\n" for i in range(30))
POS = "date,transaction,item\n" + "".join(f"2024-03-{1 + i // 4:02d},T{i // 2},Item {i % 5}\n" for i in range(40))


@pytest.mark.parametrize("text,said", [(BASKET, "Your 30 order lines have no dates"),
                                       (POS, "Your 40 order lines have no prices")])
def test_orders_without_dates_or_prices_are_said_on_the_overview(tmp_path, monkeypatch, text, said):
    db = serve_db(monkeypatch, tmp_path / "shop.duckdb")
    store = Store.open(db)
    report = ingest(store, write(tmp_path, "lines.csv", text), kind="orders")
    store.close()
    assert report.rows_loaded == report.rows_read
    at = AppTest.from_file(str(APP_PATH), default_timeout=90).run()
    at.switch_page("views/sales/overview.py").run()
    no_exception(at)
    assert any(t.startswith(said) for t in texts(at.info))
