"""Every page of the Streamlit app runs without an exception (streamlit.testing AppTest), on a real database."""

from __future__ import annotations

import sys
import types
from datetime import timedelta
from pathlib import Path

import pytest
from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.ingest import ingest
from engine.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
TIMEOUT = 60  # generous: CI machines are shared


def _app() -> AppTest:
    return AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT)


@pytest.fixture()
def db(tmp_path, monkeypatch) -> Path:
    """A database holding every example export, and the app pointed at it with the demo switched off."""
    path = tmp_path / "app.duckdb"
    store = Store.open(path)
    for name in sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".tsv")):
        ingest(store, FIXTURES / name)
    store.close()
    return serve_db(monkeypatch, path)


def test_router_opens_on_overview_with_kpis(db):
    at = _app().run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Overview"]
    labels = [m.label for m in at.metric]
    assert len(labels) == 5
    assert labels[0].startswith("Revenue") and labels[-1] == "Repeat buyers"  # fits 1280 px (issue 21)
    assert at.sidebar.date_input  # the shared filters live in the sidebar
    assert at.sidebar.multiselect


def test_overview_filters_are_shared_and_change_the_numbers(db):
    at = _app().run()
    before = at.metric[0].value
    options = at.sidebar.multiselect[0].options
    assert options
    at.sidebar.multiselect[0].set_value([options[0]]).run()
    no_exception(at)
    chosen = at.session_state["storelens_filters"].categories
    assert chosen == (options[0],)
    # The same filters are in force on the next page.
    at.switch_page("views/data/data.py").run()
    no_exception(at)
    assert at.session_state["storelens_filters"].categories == chosen
    at.switch_page("views/sales/overview.py").run()
    no_exception(at)
    assert at.sidebar.multiselect[0].value == [options[0]]
    assert isinstance(before, str)


def test_period_presets_and_custom_dates(db):
    at = _app().run()
    bounds = at.session_state["storelens_bounds"]
    assert tuple(at.sidebar.date_input(key="storelens_dates").value)[1] == bounds[1]
    at.sidebar.selectbox(key="storelens_preset").set_value("Last 30 days").run()
    no_exception(at)
    f = at.session_state["storelens_filters"]
    assert f.end == bounds[1] and f.start == max(bounds[0], bounds[1] - timedelta(days=29))
    at.sidebar.selectbox(key="storelens_preset").set_value("All time").run()
    # All time sets no dates, so undated rows count too; the date picker still shows the data's bounds.
    assert (at.session_state["storelens_filters"].start, at.session_state["storelens_filters"].end) == (None, None)
    assert tuple(at.sidebar.date_input(key="storelens_dates").value) == bounds
    at.sidebar.date_input(key="storelens_dates").set_value((bounds[1], bounds[1])).run()
    no_exception(at)
    assert at.sidebar.selectbox(key="storelens_preset").value == "Custom"
    assert at.session_state["storelens_filters"].start == bounds[1]


def test_overview_frequency_and_top_n(db):
    at = _app().run()
    at.selectbox(key="overview_top_n").set_value(5).run()
    no_exception(at)
    at.button_group(key="overview_freq").set_value("M").run()
    no_exception(at)
    assert at.button_group(key="overview_freq").value == "M"


def test_upload_page_runs(db):
    at = _app().run()
    at.switch_page("views/data/upload.py").run()
    no_exception(at)
    assert [t.value for t in at.title] == ["Upload"]
    assert not at.error


def test_data_page_browses_every_table(db):
    at = _app().run()
    at.switch_page("views/data/data.py").run()
    no_exception(at)
    for table in ("orders", "reviews", "products", "uploads", "rejected_rows"):
        at.selectbox(key="data_table").set_value(table).run()
        no_exception(at)
        assert at.dataframe, table
    at.selectbox(key="data_table").set_value("orders").run()
    at.text_input(key="data_search").input("1001").run()
    no_exception(at)
    assert "matching the search" in at.caption[-1].value


def test_empty_database_without_demo_says_what_to_do(tmp_path, monkeypatch):
    serve_db(monkeypatch, tmp_path / "empty.duckdb")
    at = _app().run()
    no_exception(at)
    assert any("Upload" in i.value for i in at.info)
    for page in ("views/data/upload.py", "views/data/data.py"):
        at.switch_page(page).run()
        no_exception(at)


def test_empty_database_opens_on_the_demo(tmp_path, monkeypatch):
    """The router loads the demo through engine.demo.load_demo (a small stand-in here)."""
    calls = []

    def load_demo(store, progress=None):
        calls.append(store)
        report = ingest(store, FIXTURES / "shopify_orders_export.csv", progress=progress)
        return [report]

    monkeypatch.setitem(sys.modules, "engine.demo", types.SimpleNamespace(load_demo=load_demo))
    monkeypatch.setenv("STORELENS_DB", str(tmp_path / "demo.duckdb"))
    monkeypatch.delenv("STORELENS_NO_DEMO", raising=False)
    at = _app().run()
    no_exception(at)
    assert len(calls) == 1
    revenue = at.metric[0]
    assert revenue.label == "Revenue (EUR)" and revenue.value == "58.00"
    at.run()  # a rerun does not load it again
    assert len(calls) == 1


# ------------------------------------------------------------------ the Upload page's services, without a browser


class _Uploaded:
    """What st.file_uploader hands the page: a name, the bytes and an id."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.name = name or path.name
        self.file_id = self.name
        self._data = path.read_bytes()

    def getvalue(self) -> bytes:
        return self._data

    def getbuffer(self) -> memoryview:
        return memoryview(self._data)


def test_upload_services_detect_correct_and_import(tmp_path, monkeypatch):
    from dashboard import services

    monkeypatch.setenv("STORELENS_DB", str(tmp_path / "up.duckdb"))
    path = services.save_upload(_Uploaded(FIXTURES / "woocommerce_order_items_export.csv"))
    det = services.detect_upload(path, "woocommerce_order_items_export.csv")
    assert det.kind == "orders" and det.format == "woocommerce_order_items"
    assert not det.preview().empty
    # Unchanged choices are not passed on (the importer keeps its fallbacks); a change and an unmapping are.
    unchanged = {c: services.mapped_header(det, c) for c in services.canonical_columns("orders")}
    assert services.user_mapping(det, unchanged) == {}
    changed = dict(unchanged, country=services.NONE_CHOICE)
    assert services.user_mapping(det, changed) == {"country": ""}
    item = services.ImportItem(str(path), "woo.csv", det.kind, tuple(services.user_mapping(det, changed).items()))
    bad = tmp_path / "only_header.csv"
    bad.write_text("a,b,c\n")
    results = services.import_files([services.ImportItem(str(bad), "only_header.csv", None), item])
    assert results[0].report is None and "no data rows" in results[0].error
    report = results[1].report
    assert report.rows_read == report.rows_loaded + report.rows_rejected + report.rows_duplicate
    assert report.rows_loaded > 0
    assert services.rejected_csv(report.batch_id).startswith(b"batch_id,")
    assert not path.exists()  # the temp copy is gone once imported


def test_plain_text_is_inert_markdown():
    from dashboard import services

    assert services.plain("**a** <b> [l](u) :red[x]") == r"\*\*a\*\* \<b\> \[l\]\(u\) \:red\[x\]"
    # Addresses and URLs keep their text but not the shape Markdown turns into a link: an empty colour directive
    # (no character, so a copy is exact) splits the text where the link would start; product text such as
    # "NDCG@10" or a time is left as it is.
    assert services.plain("jane@shop.example, https://x.example, www.y.example, 10:00, NDCG@10") == (
        "jane:gray[]@shop\\.example, https:gray[]\\://x\\.example, w:gray[]ww\\.y\\.example, 10\\:00, NDCG@10")
    assert "\u2060" not in services.plain("jane@shop.example www.y.example")
