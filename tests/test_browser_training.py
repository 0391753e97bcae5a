"""Issue 32, item 4, in a real headless Chromium: training budget respected. The Training page estimates the whole
job before "Train", the result box says within the budget + slack whether the new version was made active, and
labelling every review then runs as its own background job with its own progress.

The store holds the Sentiment tests' 384 rated reviews (a few seconds of training for a tiny base model, given on the
page's "Start from" field) and 3,000 unrated ones, which only the labelling after the training reads."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from _browser import chromium_page, serving

pytestmark = pytest.mark.browser

BUDGET = 30  # the slider's least
SLACK = 5 + 0.1 * BUDGET  # engine.sentiment.slack_seconds(30)
UNRATED = 3_000


@pytest.fixture()
def shop_db(tmp_path) -> Path:
    """The planted-spike reviews plus many unrated ones (English, so no language detection runs on them)."""
    from test_app_sentiment_pages import build_spike_shop

    from engine.store import Store

    path = tmp_path / "training.duckdb"
    build_spike_shop(path)
    extra = pd.DataFrame({"review_id": [f"X{i:05d}" for i in range(UNRATED)],
                          "review_ts": pd.Timestamp("2026-02-01"),
                          "text": [f"Arrived on day {i % 9}, {('lovely', 'fine', 'broken')[i % 3]} item" for i in
                                   range(UNRATED)],
                          "category": "Home", "language": "en", "batch_id": "batch-1"})
    store = Store.open(path)
    try:
        with store.transaction() as con:
            con.register("_extra", extra)
            con.execute("INSERT INTO reviews (review_id, review_ts, text, category, language, batch_id) "
                        "SELECT review_id, review_ts, text, category, language, batch_id FROM _extra")
            con.unregister("_extra")
    finally:
        store.close()
    return path


def test_training_budget_respected(shop_db, tmp_path, tiny_base_model):
    from playwright.sync_api import expect

    n_reviews = 384 + 3 + UNRATED
    with serving(shop_db, tmp_path) as url, chromium_page(tmp_path, 1280, 1000) as page:
        page.goto(f"{url}/training")
        expect(page.get_by_text("Train a new version")).to_be_visible()
        page.get_by_role("slider").first.press("Home")  # the least budget: 30 s
        estimate = page.get_by_text("About 30 s training, then about")
        expect(estimate).to_be_visible()
        expect(estimate).to_contain_text(f"to label {n_reviews:,} reviews in the background")
        expect(estimate).to_contain_text("Drivers and other pages keep working")
        start_from = page.get_by_label("Start from (advanced)", exact=True)
        start_from.fill(str(tiny_base_model))
        start_from.press("Enter")
        page.get_by_text("Make it the active version whatever it scores").click()  # so the labelling runs
        train = page.get_by_role("button", name="Train", exact=True)
        expect(train).to_be_enabled()
        t0 = time.monotonic()
        train.click()
        result = page.get_by_text("Trained version")
        expect(result).to_be_visible(timeout=(BUDGET + SLACK + 15) * 1000)  # + page reruns and polling
        took = time.monotonic() - t0
        assert took <= BUDGET + SLACK + 10, took
        text = result.first.inner_text()
        assert "and made it active" in text and "labelled with it in the background" in text, text
        # every review is then labelled by its own low-priority job: its own progress bar, then its own outcome
        expect(page.get_by_text(f"Scored {n_reviews:,} reviews with version")).to_be_visible(timeout=60_000)
