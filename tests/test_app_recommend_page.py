"""The Recommendations page (streamlit.testing AppTest) on a generated shop with planted co-purchase pairs: training
in the background from the page, the evaluation table and verdicts, a customer's recommendations with reasons,
an expanded explanation with its counterfactual and chart, the product view and the CSV export."""

from __future__ import annotations

from pathlib import Path

import pytest
from _helpers import no_exception, open_page, serve_db, texts
from _recommend_data import PARTNER, PROBE, PROBE_HISTORY, planted_store
from streamlit.testing.v1 import AppTest

from dashboard import views

TINY = {"seed": 0, "use_text": False, "lambda_grid": [1.0], "recency_grid": [[None, 1.0, 0.0], [45.0, 0.5, 1.0]]}


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory) -> Path:
    from engine import recommend

    path = tmp_path_factory.mktemp("rec_app") / "shop.duckdb"
    store = planted_store(path)
    try:
        recommend.train(store, TINY)
    finally:
        store.close()
    return path


def _text(at: AppTest) -> str:
    parts = [str(e.value) for e in [*at.markdown, *at.caption, *at.success, *at.warning, *at.info, *at.error]]
    return " ".join(parts).replace("\\", "")


def test_without_a_model_the_page_trains_one_in_the_background(tmp_path, monkeypatch):
    from dashboard import services

    path = tmp_path / "fresh.duckdb"
    planted_store(path, n_customers=60, seed=2).close()
    serve_db(monkeypatch, path)
    at = open_page(views.RECOMMENDATIONS)
    assert "No recommender yet" in _text(at)
    at.button(key="rec_train").click().run()
    no_exception(at)
    job = services.jobs().latest(str(path.resolve()))
    assert job is not None and job.kind == "recommend_train"
    assert job.wait(120) and job.status == "done", job.error
    at.run()
    no_exception(at)
    assert "Trained recommender" in _text(at)
    assert len(at.dataframe) >= 1  # the evaluation table
    assert "New orders arrived" not in _text(at)
    # orders imported after the training: the page says the recommender leaves them out until trained again
    export = Path(__file__).parent / "fixtures" / "formats" / "shopify_orders_export.csv"
    [result] = services.import_files([services.ImportItem(str(export), export.name, None)])
    assert result.report is not None and result.report.rows_loaded > 0
    at.run()
    assert "New orders arrived after this version was trained" in _text(at)
    assert "Train recommendations" in _text(at)


def test_customer_recommendations_with_reasons_and_an_expanded_explanation(trained_db, monkeypatch):
    serve_db(monkeypatch, trained_db)
    at = open_page(views.RECOMMENDATIONS, rec_customer=PROBE)
    text = _text(at)
    assert "item-kNN" in text  # the verdicts name the baseline, win or lose
    evaluation = at.dataframe[0].value
    assert {"StoreLens model", "Bought together", "Best sellers"} <= set(evaluation["method"])
    assert not any("NDCG" in t for t in (*texts(at.success), *texts(at.warning)))  # the plain reading, not jargon
    recs = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert PARTNER in recs["product_id"].tolist()[:3]
    assert PROBE_HISTORY not in recs["product_id"].tolist()
    partner = next(e for e in at.expander if f"({PARTNER})" in e.label)
    inside = " ".join(str(m.value) for m in partner.markdown).replace("\\", "")
    assert "bought Linen Shirt 0" in inside
    assert "Check:" in inside and "without Linen Shirt 0" in inside
    assert partner.get("plotly_chart")


def test_product_view_and_export(trained_db, monkeypatch):
    serve_db(monkeypatch, trained_db)
    at = open_page(views.RECOMMENDATIONS, rec_product=PROBE_HISTORY)
    frames = [d.value for d in at.dataframe]
    also = next(f for f in frames if "customers" in f.columns and "product_name" in f.columns)
    assert also.iloc[0]["product_id"] == PARTNER
    assert any("rank" in f.columns and "customer_id" in f.columns for f in frames)
    at.button(key="rec_export").click().run()
    no_exception(at)
    csv_bytes = at.session_state["rec_export_file"][1]
    header = csv_bytes.decode().splitlines()[0]
    assert header == "customer_id,rank,product_id,score"
    assert "'=HYPERLINK(1)" in csv_bytes.decode()  # formula-safe
