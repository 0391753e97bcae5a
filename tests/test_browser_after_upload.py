"""After an upload, in a real headless Chromium at 1280x800: reviews without any date column are counted on the
Sentiment page (every figure that needs no date holds them) and the page says how many are undated and what to map
to date them. The server, browser and upload steps are the shared ones of _browser and the journeys."""

from __future__ import annotations

import pytest
from _browser import chromium_page, nav, serving, upload

pytestmark = pytest.mark.browser

N = 40


def test_reviews_without_a_date_column_are_counted_on_the_sentiment_page(tmp_path):
    from playwright.sync_api import expect

    reviews = tmp_path / "reviews_without_dates.csv"  # ratings and text, no date column at all
    reviews.write_text("review_id,rating,review,product\n" + "".join(
        f"U{i},{1 + i % 5},{'Broke after a day' if i % 5 == 0 else 'Lovely and warm'} number {i},P{i % 3}\n"
        for i in range(N)))
    with serving(tmp_path / "undated.duckdb", tmp_path) as url, chromium_page(tmp_path, 1280, 800) as page:
        page.goto(url)
        upload(page, reviews, f"{N} rows loaded")
        nav(page, "Sentiment")
        main = page.locator('[data-testid="stMain"]')
        # the review list counts every one of them (no date range leaves them out) ...
        expect(main.get_by_text(f"{N} reviews. Select a row to read it in full.")).to_be_visible()
        # ... and one sentence says how many have no date, where they count, and what to map to date them
        note = main.get_by_text(f"{N} reviews have no date")
        expect(note).to_be_visible()
        expect(note).to_contain_text("they count in the shares by category and in the review list")
        expect(note).to_contain_text("map the file's date column on the Upload page")
        assert "No reviews in the selected range" not in main.inner_text()
