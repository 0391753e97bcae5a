"""A real headless Chromium opens the Forecasts page of a shop that is closed on Saturdays and bank holidays: the
page says the shop is closed on Saturdays (learned from its orders), and the fan chart marks the closed days ahead
as zero and the public holidays by name."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from _browser import WAIT_MS, chromium_page
from test_browser import server  # noqa: F401 - `server` is the fixture used below
from test_forecast import FAST, SHOP_START

from engine.forecast import ForecastConfig, ForecastModel, register_forecast
from engine.forecast._calendar import holidays_between
from engine.store import Store

pytestmark = pytest.mark.browser

# The first fan chart (the total), once plotly has drawn it: its closed-day and holiday traces.
TRACES_JS = """() => {
  const gd = [...document.querySelectorAll('.js-plotly-plot')].find(g => g._fullLayout && g.data.some(
    t => t.name === 'public holiday'));
  if (!gd) return null;
  const hol = gd.data.find(t => t.name === 'public holiday');
  const shut = gd.data.find(t => t.name && t.name.startsWith('closed'));
  return {holidays: hol.customdata.map(c => c[0]), closed: shut ? shut.x.length : 0,
          closed_y: shut ? Array.from(shut.y) : []};
}"""


def _closed_shop(path) -> None:
    """A GB shop's order lines (closed on Saturdays and bank holidays) and a saved forecast of the page's default
    request, made before the server starts."""
    rng = np.random.default_rng(0)
    periods = pd.date_range(SHOP_START, periods=206, freq="D")
    hols = holidays_between(periods[0].date(), periods[-1].date(), "United Kingdom")
    rows = []
    for d, day in enumerate(periods):
        if day.dayofweek == 5 or day.date() in hols:
            continue
        ts = datetime.combine(day.date(), datetime.min.time()) + timedelta(hours=11)
        for c, level in (("shoes", 60.0), ("bags", 30.0)):
            rows.append((f"o{d}-{c}", 1, ts, f"p-{c}", c, 1.0, round(level * rng.lognormal(0, 0.2), 2),
                         "United Kingdom", "completed"))
    df = pd.DataFrame(rows, columns=["order_id", "line_no", "order_ts", "product_id", "category", "quantity",
                                     "unit_price", "country", "status"])
    df["revenue"], df["product_name"], df["batch_id"] = df["unit_price"], df["product_id"], "b1"
    store = Store.open(path)
    try:
        with store.transaction() as con:
            con.register("new_orders", df)
            con.execute("INSERT INTO orders BY NAME SELECT * FROM new_orders")
            con.execute("INSERT INTO uploads (batch_id, file_name, kind, uploaded_at) VALUES ('b1', 'shop.csv', "
                        "'orders', now()::TIMESTAMP)")
        config = ForecastConfig(metric="revenue", by="category", freq="D", horizon=28, top_n=10, origins=2, seed=0,
                                **{**FAST, "baselines": ("seasonal_naive", "weekday_median")})
        model = ForecastModel(config)
        register_forecast(store, model, model.fit(store))
    finally:
        store.close()


@pytest.fixture()
def shop_server(tmp_path, request):
    """The `server` fixture on the closed-on-Saturdays shop with its forecast saved."""
    _closed_shop(tmp_path / "browser.duckdb")
    return request.getfixturevalue("server")


def test_forecast_page_shows_closed_days_and_holidays(shop_server, tmp_path):
    from playwright.sync_api import expect

    with chromium_page(tmp_path) as page:
        page.goto(shop_server)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Forecasts", exact=True).click()
        expect(page.get_by_text("Track record")).to_be_visible(timeout=2 * WAIT_MS)
        expect(page.get_by_text("Closed on Saturdays", exact=False).first).to_be_visible()
        expect(page.get_by_text("learned from your orders", exact=False).first).to_be_visible()
        page.wait_for_function(f"() => ({TRACES_JS})() !== null", timeout=2 * WAIT_MS)
        traces = page.evaluate(TRACES_JS)
        assert "Early May Bank Holiday" in traces["holidays"] or "May Day" in traces["holidays"], traces
        assert traces["closed"] >= 4 and set(traces["closed_y"]) == {0}  # 4 Saturdays + the bank holiday ahead
        page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "forecast_closed.png"), full_page=False)
