"""The Forecasts page (streamlit.testing AppTest) on a real database: no forecast yet -> a run in the background ->
the track record, fan charts, the series table, anomalies with their rows and the sentiment-leads-sales view;
never a traceback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from _helpers import no_exception, serve_db
from streamlit.testing.v1 import AppTest
from test_forecast import START, make_orders_store

from dashboard import APP_PATH, views
from engine.models import jobs

TIMEOUT = 90


def _reviews(n_days: int) -> pd.DataFrame:
    """A review a day per category, some negative, so the lead/lag view has weeks to compare."""
    rows = []
    for d in range(n_days):
        for c in ("shoes", "bags"):
            rating = 1.0 if (d * 7 + len(c)) % 5 == 0 else 5.0
            rows.append((f"r{d}{c}", datetime.combine(START + timedelta(days=d), datetime.min.time()), c, rating))
    df = pd.DataFrame(rows, columns=["review_id", "review_ts", "category", "rating"])
    df["batch_id"] = "b2"
    return df


@pytest.fixture()
def db(tmp_path, monkeypatch):
    path = tmp_path / "fc.duckdb"
    make_orders_store(path, n_days=100, reviews=_reviews(100)).close()
    return serve_db(monkeypatch, path)


def _page() -> AppTest:
    at = AppTest.from_file(str(APP_PATH), default_timeout=TIMEOUT).run()
    at.switch_page(views.FORECASTS).run()
    return at


def test_forecast_page_runs_a_forecast_in_the_background_and_shows_its_track_record(db):
    at = _page()
    no_exception(at)
    assert [t.value for t in at.title] == ["Forecasts"]
    [first] = [i.value for i in at.info if "No forecast for this choice yet" in i.value]
    assert "this one: 4 series, 100 periods" in first  # said before it starts, from the data's size
    at.selectbox(key="forecast_horizon").set_value(7).run()
    at.button(key="forecast_run").click().run()
    job = jobs().latest(str(db.resolve()))
    assert job is not None and job.kind == "forecast"
    assert job.wait(120) and job.status == "done", job.error
    at.run()
    no_exception(at)
    assert any("ready" in s.value for s in at.success)
    labels = [m.label for m in at.metric]
    # plain readings as labels; the technical names (MASE, seasonal naive, AutoETS, coverage) in each one's help
    assert labels[:5] == ["Forecast's error", "Same-weekday median's error", "Repeat last week: error",
                          "Smoothing model's error", "Actuals inside the band"]
    helps = [m.help for m in at.metric][:5]
    assert all("MASE" in h for h in helps[:4]) and "Seasonal naive" in helps[2] and "AutoETS" in helps[3]
    assert "coverage" in helps[4]
    assert not any("MASE" in m.label for m in at.metric)
    assert [s.value for s in at.subheader][:3] == ["Track record", "Series by expected change", "Forecasts"]
    table = at.dataframe[0].value  # the series table comes first
    assert list(table["series"])[0] in {"total", "shoes", "bags", "hats"} and len(table) == 4
    assert table["expected_change"].is_monotonic_decreasing
    assert len(at.get("plotly_chart")) >= 4  # a fan chart per series (+ the lead/lag bars)
    # every series says how the model did against seasonal naive
    verdicts = [e.value for e in (*at.success, *at.info, *at.warning)]
    assert sum("seasonal naive" in v for v in verdicts) >= 4
    assert any("Pearson correlation t-test" in c.proto.help for c in at.caption)  # the test named in help
    assert any("unlikely to be chance" in c.value for c in at.caption)
    # the generated shop trades every day, so no series is said to be closed; the table says what is shown
    assert not any("learned from your orders" in c.value for c in at.caption)
    assert {"forecast shown", "mase_weekday_median", "closed"} <= set(table.columns)
    assert at.button(key="forecast_run").label == "Run again"
    assert not any("older data" in w.value for w in at.warning)  # just made: current
    at.selectbox(key="forecast_horizon").set_value(14).run()  # another request: estimated from the run's pace
    assert any("from the last run's pace" in i.value for i in at.info)
    at.selectbox(key="forecast_horizon").set_value(7).run()
    # an anomaly lists the order lines behind it (what the page shows when one is selected)
    from dashboard.services import forecast as fs

    model, stale = fs.saved_forecast(fs.request("revenue", "category", "D", 7))
    assert model is not None and stale is None
    anomalies = fs.anomaly_table(model)
    assert not anomalies.empty  # an 80% band leaves about one actual in five outside
    first = anomalies.iloc[0]
    rows = fs.anomaly_rows(model, first["series"], first["ts"])
    assert len(rows) and {str(d.date()) for d in rows["order_ts"]} == {str(first["ts"])}
    if first["series"] != "total":
        assert set(rows["category"]) == {first["series"]}


def test_forecast_page_explains_a_metric_without_data(db):
    at = _page()
    at.selectbox(key="forecast_metric").set_value("sentiment").run()
    no_exception(at)
    at.selectbox(key="forecast_by").set_value("product_id").run()
    no_exception(at)
    assert any("No forecast" in i.value or "no reviews" in i.value.lower() for i in at.info)

