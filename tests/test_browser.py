"""A real headless Chromium uploads the Shopify example through the file input and sees its revenue on Overview."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from _browser import chromium_page, serving

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "formats" / "shopify_orders_export.csv"


def expected_revenue(path: Path) -> float:
    """Sum of line revenues (quantity x price - line discount) of the orders that were not cancelled.

    Shopify leaves order-level cells (here `Cancelled at`) blank on an order's extra line items, so the
    cancellation is carried from the order's first row.
    """
    total, cancelled = 0.0, {}
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            order = row["Name"]
            if order not in cancelled:
                cancelled[order] = bool(row["Cancelled at"].strip())
            if not cancelled[order]:
                discount = float(row["Lineitem discount"] or 0)
                total += float(row["Lineitem quantity"]) * float(row["Lineitem price"]) - discount
    return total


@pytest.fixture()
def server(tmp_path):
    """`streamlit run dashboard/app.py` on an empty database with the demo switched off."""
    with serving(tmp_path / "browser.duckdb", tmp_path, max_upload_mb=50) as url:
        yield url


def test_expected_revenue_of_the_fixture():
    # #1001: 2 x 19.00 + 1 x 20.00; #1002 was cancelled.
    assert expected_revenue(FIXTURE) == pytest.approx(58.0)


def test_upload_in_chromium_shows_revenue_on_overview(server, tmp_path):
    from playwright.sync_api import expect

    revenue = f"{expected_revenue(FIXTURE):,.2f}"
    with chromium_page(tmp_path) as page:
        page.goto(server)
        expect(page.get_by_text("No orders yet")).to_be_visible()

        page.locator('[data-testid="stSidebarNav"]').get_by_text("Upload", exact=True).click()
        page.locator('input[type="file"]').set_input_files(str(FIXTURE))
        expect(page.get_by_text("shopify_orders", exact=True)).to_be_visible()
        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_text("3 rows loaded")).to_be_visible()

        page.locator('[data-testid="stSidebarNav"]').get_by_text("Overview", exact=True).click()
        metric = page.locator('[data-testid="stMetric"]', has_text="Revenue").first
        expect(metric.locator('[data-testid="stMetricValue"]')).to_have_text(revenue)
