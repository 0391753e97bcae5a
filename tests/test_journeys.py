"""Issue 21's journeys without a browser: money per currency and the rows behind a figure (engine.analytics), what a
click selects (services.drilldown, charts), and the Overview, Sentiment and Drivers pages in AppTest: a KPI lists its
order lines, two currencies are never added up, an alert opens its week and leads to Drivers."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH, charts
from dashboard.services import drilldown as D
from engine import analytics as A
from engine.analytics import Filters
from engine.store import Store, safe_csv_bytes

TIMEOUT = 90
COLUMNS = ("order_id", "line_no", "order_ts", "customer_id", "product_id", "product_name", "category",
           "quantity", "unit_price", "revenue", "currency", "status", "batch_id")
# Two weeks of orders in two currencies: EUR lines in week 1 and 2, USD lines in week 2, one line without currency.
LINES = [
    ("E1", 1, "2024-01-02 09:00", "c1", "p1", "Bags", 1, 10.0, "EUR", "completed"),
    ("E1", 2, "2024-01-02 09:00", "c1", "p2", "Home", 2, 40.0, "EUR", "completed"),
    ("E2", 1, "2024-01-09 10:00", "c1", "p1", "Bags", 1, 10.0, "EUR", "completed"),
    ("E3", 1, "2024-01-10 10:00", "c2", "=HYPERLINK(1)", "Bags", 1, 5.0, "EUR", "cancelled"),
    ("U1", 1, "2024-01-09 11:00", "c3", "p1", "Bags", 3, 300.0, "USD", "completed"),
    ("U2", 1, "2024-01-11 12:00", "c3", "p3", "Home", 1, 100.0, "USD", "completed"),
    ("N1", 1, "2024-01-12 12:00", None, "p3", None, 1, 1.0, None, "completed"),
]


def _insert(store: Store) -> None:
    rows = [(o, n, datetime.fromisoformat(ts), c, p, f"Product {p}", cat, float(q), rev / q, rev, cur, st, "b1")
            for o, n, ts, c, p, cat, q, rev, cur, st in LINES]
    store.con.executemany(f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                          rows)
    store.con.execute("INSERT INTO uploads (batch_id, file_name, format, kind, rows_read, rows_loaded, rows_rejected, "
                      "rows_duplicate, uploaded_at) VALUES ('b1', 'o.csv', 'generic', 'orders', 7, 7, 0, 0, now())")


@pytest.fixture()
def store():
    s = Store.open(":memory:")
    _insert(s)
    yield s
    s.close()


# ----------------------------------------------------------------------------------- engine: honest totals


def test_currencies_most_revenue_first_and_none_given_is_its_own(store):
    assert A.currencies(store) == ["USD", "EUR", ""]
    assert A.only_currency(store) is None  # several: no single unit to print


def test_kpis_and_charts_never_add_currencies(store):
    f = Filters(date(2024, 1, 8), date(2024, 1, 14))
    usd = {k.key: k for k in A.kpis(store, f, "USD")}
    eur = {k.key: k for k in A.kpis(store, f, "EUR")}
    assert usd["revenue"].value == 400.0 and usd["revenue"].unit == "USD" and usd["orders"].value == 2
    assert eur["revenue"].value == 10.0 and eur["revenue"].unit == "EUR" and eur["revenue"].previous == 50.0
    none = {k.key: k for k in A.kpis(store, f, "")}
    assert none["revenue"].value == 1.0 and none["revenue"].unit is None
    weekly = A.revenue_by_category(store, Filters(), "W", "USD")
    assert weekly["revenue"].sum() == 400.0
    top = A.top_products(store, Filters(), 10, "EUR")
    assert set(top["product_id"]) == {"p1", "p2"}  # the cancelled line never counts
    assert top["revenue"].sum() == pytest.approx(60.0)


def test_order_lines_are_the_rows_behind_each_figure(store):
    f = Filters(date(2024, 1, 8), date(2024, 1, 14))
    rows, total = A.order_lines(store, f, "USD")
    assert total == 2 and rows["revenue"].sum() == 400.0  # the same as the KPI
    rows, total = A.order_lines(store, f, "USD", category="Bags", period=(date(2024, 1, 8), date(2024, 1, 15)))
    assert total == 1 and rows["order_id"].tolist() == ["U1"]
    rows, total = A.order_lines(store, Filters(), "EUR", product_id="p1")
    assert total == 2 and rows["order_id"].tolist() == ["E2", "E1"]  # newest first
    rows, total = A.order_lines(store, Filters(), "EUR", lines="repeat")
    assert set(rows["customer_id"]) == {"c1"}  # c1 ordered twice, c2's only order was cancelled
    rows, total = A.order_lines(store, Filters(), None, limit=2)
    assert total == 6 and len(rows) == 2
    # user values are parameters: a quote in a filter value is just text
    assert A.order_lines(store, Filters(), "x' OR '1'='1")[1] == 0
    assert A.order_lines(store, Filters(), None, product_id="=HYPERLINK(1)", lines="revenue")[1] == 0
    with pytest.raises(ValueError):
        A.order_lines(store, Filters(), None, lines="everything")


def test_rows_download_is_formula_safe(store):
    rows, _ = A.order_lines(store, Filters(), "EUR", lines="purchases")
    rows = pd.concat([rows, rows.head(1).assign(product_id="=HYPERLINK(1)")])
    assert b"'=HYPERLINK(1)" in safe_csv_bytes(rows)


# ------------------------------------------------------------------------------------ what a click selects


def test_clicks_become_row_queries(store):
    weekly = A.revenue_by_category(store, Filters(), "W", "EUR")
    fig = charts.revenue_over_time(weekly, "W", "EUR")
    assert "EUR" in fig.layout.yaxis.title.text
    bags = next(t for t in fig.data if t.name == "Bags")
    point = {"customdata": list(bags.customdata[1])}
    q = D.from_revenue_point({"selection": {"points": [point]}}, "W")
    assert q == D.RowsQuery("revenue", "Bags", (date(2024, 1, 8), date(2024, 1, 15)), None, q.what)
    assert "Bags" in q.what and "week of 08 Jan 2024" in q.what
    assert A.order_lines(store, Filters(), "EUR", category=q.category, period=q.period)[0]["order_id"].tolist() == ["E2"]

    top = A.top_products(store, Filters(), 5, "USD")
    bar = charts.top_products_bar(top, "USD")
    q = D.from_product_bar({"selection": {"points": [{"customdata": list(bar.data[0].customdata[-1])}]}})
    assert q.product_id == top["product_id"].iloc[0] and q.lines == "revenue"

    assert D.from_kpi("repeat_rate", "Repeat-purchase rate").lines == "repeat"
    assert D.from_kpi("aov", "Avg. order").lines == "purchases"
    assert D.from_revenue_point({"selection": {"points": []}}, "W") is None
    assert D.from_product_bar(None) is None
    assert D.describe(q, "").endswith("(no currency given)")
    assert D.selected_term({"selection": {"points": [{"customdata": [3, 0.1, "new", "zipper"]}]}}) == "zipper"
    # the rating chart's points select a period (all labels)
    shares = pd.DataFrame({"period": pd.to_datetime(["2024-01-01"]), "avg_rating": [3.0], "share_positive": [0.5],
                           "share_negative": [0.2], "n_model": [0]})
    fig = charts.rating_vs_sentiment(shares, "W", "Bags")
    picked = charts.selected_point({"selection": {"points": [{"customdata": list(fig.data[0].customdata[0])}]}})
    assert picked == {"period": pd.Timestamp("2024-01-01"), "category": "Bags", "label": None}


def test_alert_window_and_drivers_request():
    from dashboard import services as S

    f = Filters(date(2026, 6, 1), date(2026, 8, 31))
    wide = S.alert_window(f, pd.Timestamp("2026-03-02"), "W")
    assert wide.start == date(2026, 3, 2) - timedelta(weeks=12) and wide.end == f.end
    assert S.alert_window(f, pd.Timestamp("2026-07-06"), "W") == Filters(date(2026, 4, 13), f.end)
    params = S.drivers_request("Bags", pd.Timestamp("2026-07-08"), "W")
    assert params == {"category": "Bags", "from": "2026-07-06", "to": "2026-07-12"}
    assert S.read_drivers_request(params) == ("Bags", date(2026, 7, 6), date(2026, 7, 12))
    assert S.read_drivers_request({"category": "Bags", "from": "2026-07-12", "to": "2026-07-06"}) is None
    assert S.read_drivers_request({"category": "Bags", "from": "x'; DROP", "to": "2026-07-06"}) is None
    assert S.read_drivers_request({}) is None
    assert S.driver_change_text(float("nan")) == "new this period" and S.driver_change_text(0.0123) == "+0.012"


# ------------------------------------------------------------------------------------------- pages (AppTest)


def _app() -> AppTest:
    return AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT)


@pytest.fixture()
def orders_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cur.duckdb"
    s = Store.open(path)
    _insert(s)
    s.close()
    return serve_db(monkeypatch, path)


def test_overview_one_currency_at_a_time_and_kpi_rows(orders_db):
    at = _app().run()
    no_exception(at)
    picker = at.button_group(key="overview_currency")
    assert picker.value == "USD"  # most revenue first
    at.sidebar.selectbox(key="storelens_preset").set_value("All time").run()
    assert at.metric[0].label == "Revenue (USD)" and at.metric[0].value == "400.00"
    assert any("amounts in USD" in c.value for c in at.caption)
    picker.set_value("EUR").run()
    no_exception(at)
    assert at.metric[0].label == "Revenue (EUR)" and at.metric[0].value == "60.00"
    at.button(key="overview_kpi_revenue").click().run()
    no_exception(at)
    assert len(at.dataframe) == 2
    rows = at.dataframe[-1].value
    assert sorted(rows["order_id"]) == ["E1", "E1", "E2"] and rows["revenue"].sum() == 60.0
    assert any("Rows behind: Revenue (EUR)" in s.value.replace("\\", "") for s in at.subheader)
    assert at.get("download_button")
    # a clicked bar (what the chart's on_select stores) lists that bar's rows
    at.session_state["overview_drill"] = D.RowsQuery("revenue", "Bags", (date(2024, 1, 8), date(2024, 1, 15)),
                                                     None, "Revenue of Bags, week of 08 Jan 2024")
    at.run()
    no_exception(at)
    assert at.dataframe[-1].value["order_id"].tolist() == ["E2"]
    at.button(key="overview_drill_close").click().run()
    assert len(at.dataframe) == 1  # only the top-products table is left


@pytest.fixture()
def reviews_db(tmp_path, monkeypatch) -> Path:
    from test_app_sentiment_pages import build_spike_shop

    path = tmp_path / "sent.duckdb"
    build_spike_shop(path)
    return serve_db(monkeypatch, path)


def test_sentiment_alert_opens_its_week_lists_its_reviews_and_leads_to_drivers(reviews_db):
    from test_app_sentiment_pages import SPIKE_WEEK, START

    spike = pd.Timestamp(START + timedelta(weeks=SPIKE_WEEK))
    at = _app().run()
    at.sidebar.selectbox(key="storelens_preset").set_value("Last 30 days").run()  # the spike is older
    at.switch_page("views/reviews/sentiment.py").run()
    no_exception(at)
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any("before the sidebar's dates" in c and f"week of {spike:%Y-%m-%d}" in c for c in captions), captions
    at.button(key="sentiment_past_0").click().run()
    no_exception(at)
    listed = at.dataframe(key="sentiment_alert_reviews").value  # in the alert's own panel, in view
    assert len(listed) == 9 and set(listed["label"]) == {"negative"} and set(listed["category"]) == {"Bags"}
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any(c.startswith("The charts start on") for c in captions)  # the chart's window follows the alert
    assert at.selectbox(key="sentiment_category").value == "Bags"
    link = next(p for p in at.get("page_link") if "What drives Bags" in p.proto.label)
    assert "category=Bags" in link.proto.query_string and f"from={spike:%Y-%m-%d}" in link.proto.query_string
    assert len(at.dataframe[-1].value) == 9  # the review list below agrees
    assert any(b.label.startswith("Download these reviews") for b in at.get("download_button"))
    at.button(key="sentiment_focus_close").click().run()
    no_exception(at)
    assert not any(c.value.startswith("The charts start on") for c in at.caption)


def test_category_chart_star_points_select_the_category():
    cats = pd.DataFrame({"category": ["Bags", "Home"], "n": [10, 20], "n_negative": [5, 2], "n_neutral": [1, 2],
                         "n_positive": [4, 16], "share_negative": [0.5, 0.1], "share_neutral": [0.1, 0.1],
                         "share_positive": [0.4, 0.8], "avg_rating": [2.5, 4.5]})
    fig = charts.category_sentiment(cats)
    stars = fig.data[3]
    assert stars.cliponaxis is False  # the rating labels are never clipped
    picked = charts.selected_point({"selection": {"points": [{"customdata": list(stars.customdata[0])}]}})
    assert picked == {"period": None, "category": "Home", "label": None}  # least negative first (bottom row)
