"""A real headless Chromium opens Recommendations, searches a customer and expands a recommendation to its
attribution chart and counterfactual (the planted pair: Linen Shirt 0 → Canvas Tote 0)."""

from __future__ import annotations

import pytest
from _browser import chromium_page, serving
from _recommend_data import PARTNER, PROBE, planted_store

pytestmark = pytest.mark.browser

TINY = {"seed": 0, "use_text": False, "lambda_grid": [1.0], "recency_grid": [[None, 1.0, 0.0], [45.0, 0.5, 1.0]]}


@pytest.fixture()
def server(tmp_path):
    """`streamlit run dashboard/app.py` on a generated shop with a trained recommender."""
    from engine import recommend

    db = tmp_path / "shop.duckdb"
    store = planted_store(db)
    try:
        recommend.train(store, TINY)
    finally:
        store.close()
    with serving(db, tmp_path) as url:
        yield url


def test_customer_to_expanded_explanation_in_chromium(server, tmp_path):
    from playwright.sync_api import expect

    with chromium_page(tmp_path) as page:
        page.goto(server)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Recommendations", exact=True).click()
        # the first open loads torch and the model in the server: slow on a shared machine
        expect(page.get_by_text("How good are these recommendations?")).to_be_visible(timeout=120_000)

        picker = page.locator('[data-testid="stSelectbox"]', has_text="Customer").first
        picker.click()
        page.keyboard.type(PROBE)
        page.keyboard.press("Enter")
        expect(page.get_by_text("Open a recommendation.")).to_be_visible()

        item = page.locator('[data-testid="stExpander"]', has_text=f"({PARTNER})").first
        item.locator("summary").click()
        expect(item.get_by_text("without Linen Shirt 0", exact=False).first).to_be_visible()
        expect(item.get_by_text("bought Linen Shirt 0", exact=False).first).to_be_visible()
        expect(item.locator(".js-plotly-plot").first).to_be_visible()
