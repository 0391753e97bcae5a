"""The Customers > Segments page (streamlit.testing AppTest) on real databases: a store without customer ids, a
small shop learning its first segments in the background, and a shop with a trained model and its drill-down."""

from __future__ import annotations

from pathlib import Path

import pytest
from _helpers import no_exception, open_page, serve_db, texts
from _shops import insert_lines, line, shop, trained_shop
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard import services as S

PAGE = "views/customers/segments.py"


def _frame_with(at: AppTest, column: str):
    """The first dataframe on the page that has `column` (AppTest keeps keys only of selectable tables)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory) -> tuple:
    path = tmp_path_factory.mktemp("segpage") / "shop.duckdb"
    return path, trained_shop(path)


def test_store_without_customer_ids_says_why(tmp_path, monkeypatch):
    path = serve_db(monkeypatch, tmp_path / "amazon.duckdb")
    from engine.store import Store

    store = Store.open(path)
    insert_lines(store, [line(f"a{i}", 1, f"2024-01-{i + 1:02d}", None, "p1", 1, 5.0) for i in range(12)])
    store.close()
    at = open_page(PAGE)
    assert texts(at.title) == ["Customer segments"]
    assert any("unavailable because none of the 12 orders carries a customer identity" in t for t in texts(at.info))
    assert not at.get("plotly_chart")


def test_small_shop_learns_in_the_background_and_shows_why_no_risk(tmp_path, monkeypatch):
    path = serve_db(monkeypatch, tmp_path / "small.duckdb")
    store = shop(path, n_customers=40, days=200)
    insert_lines(store, [line("x1", 1, "2024-03-01", "only-cancelled", "p1", 1, 5.0, status="cancelled")])
    store.close()
    at = open_page(PAGE)
    # the count said before learning is the count shown after it (an id with only a cancelled order is not one)
    assert any("No segments yet for the 40 customers who bought something" in t and "1 more customer ids" in t
               for t in texts(at.info))
    at.button(key="FormSubmitter:segments_form-Learn segments").click().run()
    no_exception(at)
    job = S.latest_job()
    assert job is not None and job.kind == S.SEGMENT_JOB
    assert job.wait(120) and job.status == "done", job.error
    at.run()
    no_exception(at)
    assert any("Learned version" in t for t in texts(at.success))
    assert any("No churn risk is shown: it needs about 240 days of order history" in t for t in texts(at.warning))
    assert at.metric[0].value == "40"
    assert at.selectbox(key="segments_download_band").disabled
    assert not any("New orders arrived" in t for t in texts(at.info))
    # orders imported after the version was trained: the page says so, and how to include them
    export = Path(__file__).parent / "fixtures" / "formats" / "shopify_orders_export.csv"
    [result] = S.import_files([S.ImportItem(str(export), export.name, None)])
    assert result.report is not None and result.report.rows_loaded > 0
    at.run()
    assert any("New orders arrived after this version was trained" in t and "Learn segments again" in t
               for t in texts(at.info))


def test_trained_shop_shows_segments_risk_reasons_and_downloads(trained_db, monkeypatch):
    path, riskiest = trained_db
    serve_db(monkeypatch, path)
    at = open_page(PAGE)
    report = S.segments_report(S.segments_version())
    k = report["k"]
    assert at.metric[2].value == str(k)
    table = at.dataframe(key="segments_table").value
    assert len(table) == k and table["customers"].sum() == report["n_customers"]
    assert len(at.get("plotly_chart")) >= 5
    # the drill-down opens on the riskiest customer, with reasons and orders
    assert at.selectbox(key="segments_customer").value == riskiest
    md = texts(at.markdown)
    assert f"#### Customer {riskiest}" in md and "**Why this risk**" in md
    reasons = [m for m in at.markdown if m.value.startswith("- ") and m.value.endswith(("raises risk", "lowers risk"))]
    assert reasons and all(m.proto.help.startswith("Attribution ") for m in reasons)  # the figure in help
    assert not _frame_with(at, "order_id").empty
    # a customer with a review: the review text is data, never HTML
    at.selectbox(key="segments_customer").set_value("c000").run()
    no_exception(at)
    reviews = _frame_with(at, "rating")
    assert reviews["title"].tolist() == ["<b>meh</b>"]
    # downloads: a segment's members and a risk band's, formula-safe
    names = [s["name"] for s in report["segments"]]
    at.selectbox(key="segments_download_segment").set_value(names[-1]).run()
    no_exception(at)
    assert not at.selectbox(key="segments_download_band").disabled


def test_map_selection_gives_the_customer_ids(trained_db, monkeypatch):
    path, _ = trained_db
    serve_db(monkeypatch, path)
    customers = S.segment_customers(S.segments_version())
    fig = charts.segment_map(customers, S.segment_names(S.segments_version()))
    trace = fig.data[0]
    points = [{"customdata": list(trace.customdata[i])} for i in (0, 1)]
    assert charts.selected_customers({"selection": {"points": points}}) == [str(trace.customdata[i][3])
                                                                           for i in (0, 1)]
    assert charts.selected_customers(None) == [] and charts.selected_customers({"selection": {"points": []}}) == []
    csv = S.members_csv(S.members(S.segments_version(), ids=[str(trace.customdata[0][3])])).decode()
    assert csv.splitlines()[0].startswith("customer_id,segment,churn_risk,recency,frequency,monetary")
