"""Issue 21's journeys walked in a real headless Chromium, one test each: upload two exports -> the KPIs change ->
click a bar -> its rows; a sentiment alert -> that week's reviews -> the explanation of one -> that category's
drivers. The server, browser and options are the shared ones of _browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from _browser import chromium_page, click_bar, nav, opens_in_view, select_first_row, serving, upload

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "formats"


def test_upload_two_exports_kpis_change_click_a_bar_lists_its_rows(tmp_path):
    from playwright.sync_api import expect

    with serving(tmp_path / "j1.duckdb", tmp_path) as url, chromium_page(tmp_path, 1280, 800) as page:
        page.goto(url)
        expect(page.get_by_text("No orders yet")).to_be_visible()
        upload(page, FIXTURES / "shopify_orders_export.csv", "3 rows loaded")
        nav(page, "Overview")
        revenue = page.locator('[data-testid="stMetric"]', has_text="Revenue").first
        expect(revenue).to_contain_text("Revenue (EUR)")
        expect(revenue.locator('[data-testid="stMetricValue"]')).to_have_text("58.00")

        upload(page, FIXTURES / "etsy_sold_orders.csv", "2 rows loaded")
        nav(page, "Overview")
        # a second currency (USD) is never added to the euros: a picker says which one the figures count, and it
        # opens on the currency of the upload just made
        expect(page.get_by_text("Currency", exact=True)).to_be_visible()
        expect(revenue).to_contain_text("Revenue (USD)")
        expect(revenue.locator('[data-testid="stMetricValue"]')).not_to_have_text("58.00")
        page.get_by_text("EUR", exact=True).click()
        expect(revenue).to_contain_text("Revenue (EUR)")
        expect(revenue.locator('[data-testid="stMetricValue"]')).to_have_text("58.00")
        page.get_by_text("USD", exact=True).click()
        expect(revenue).to_contain_text("Revenue (USD)")

        top = page.locator('[data-testid="stPlotlyChart"]').nth(1)
        click_bar(page, top)
        expect(page.get_by_text("Rows behind: Revenue of").first).to_be_visible()
        expect(page.get_by_text("order lines in")).to_be_visible()
        expect(page.get_by_role("button", name="Download these rows (CSV)")).to_be_visible()
        opens_in_view(page, page.locator(".st-key-overview_rows"))


@pytest.fixture()
def trained_reviews_db(tmp_path, tiny_base_model) -> Path:
    """The Sentiment tests' reviews (a planted Bags spike) with one tiny model trained on them."""
    from test_app_sentiment_pages import trained_spike_shop

    return trained_spike_shop(tmp_path / "j2.duckdb", tiny_base_model)


def test_sentiment_alert_to_its_reviews_to_an_explanation_to_the_category_drivers(trained_reviews_db, tmp_path):
    from playwright.sync_api import expect

    with serving(trained_reviews_db, tmp_path) as url, chromium_page(tmp_path, 1280, 800) as page:
        page.goto(f"{url}/sentiment")
        expect(page.get_by_text("Earlier spikes")).to_be_visible()
        page.get_by_role("button", name="Show reviews").first.click()
        panel = page.locator(".st-key-sentiment_alert_panel")
        expect(panel.get_by_text("Negative reviews of Bags")).to_be_visible()
        opens_in_view(page, panel)  # listed where the merchant is looking
        select_first_row(page, panel.locator('[data-testid="stDataFrame"]'))
        panel.get_by_text("Explain this review").click()

        expect(page.locator('[data-testid="stMetric"]', has_text="Predicted label")).to_be_visible()
        page.get_by_text("What drives Bags reviews that week").click()

        expect(page.locator("h1", has_text="Drivers")).to_be_visible()
        expect(page.get_by_role("combobox", name="Category")).to_have_value("Bags")
        expect(page.get_by_text("reviews to read, about")).to_be_visible()
