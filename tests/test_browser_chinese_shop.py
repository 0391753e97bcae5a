"""A Chinese-language shop walked through in headless Chromium (issue 30): upload a generated Chinese reviews export,
Sentiment shows the 包包 spike, its reviews, the explanation of one, then that category's drivers, and the
explanation and the drivers name words (质量, 失望...), not single characters, and are not empty. The model is a tiny
one trained here on the tiny stand-in for the multilingual base model (tests/_multilingual.py), never the real one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from _browser import chromium_page, nav, select_first_row, serving, upload
from _multilingual import chinese_shop_reviews

pytestmark = pytest.mark.browser


@pytest.fixture()
def chinese_shop(tmp_path, tiny_multilingual_base) -> tuple[Path, Path]:
    """A shop whose reviews are in Chinese, imported by the importer the Upload page uses, with a tiny model trained
    on them; and a second, later export to upload in the browser."""
    from engine import sentiment
    from engine.ingest import ingest
    from engine.store import Store

    reviews = chinese_shop_reviews(seed=1)
    first, later = tmp_path / "评论.csv", tmp_path / "评论_新.csv"
    reviews.to_csv(first, index=False)
    more = chinese_shop_reviews(n_weeks=1, per_week=4, seed=2)
    more["review_id"] = "new-" + more["review_id"]
    more.to_csv(later, index=False)
    path = tmp_path / "zh.duckdb"
    store = Store.open(path)
    try:
        ingest(store, first)
        with store.transaction() as con:  # two orders spanning the reviews, so the sidebar's period covers them
            con.executemany(
                "INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, category, quantity, "
                "unit_price, revenue, currency, status, batch_id) VALUES (?, 1, ?, 'c1', 'P', '包包', 1, 10, 10, "
                "'CNY', 'completed', 'o')", [("o1", datetime(2026, 1, 5)), ("o2", datetime(2026, 3, 31))])
        sentiment.train(store, time_budget=6, base_model=str(tiny_multilingual_base), quantize=False,
                        activate=True)
    finally:
        store.close()
    return path, later


def _words_on(chart) -> list[str]:
    """The category labels (words) of a horizontal plotly bar chart."""
    chart.locator(".ytick text").first.wait_for(timeout=120_000)  # Captum on a shared machine: can exceed 30 s
    labels = chart.locator(".ytick text").evaluate_all("els => els.map(e => e.textContent)")  # SVG: no innerText
    return [t.strip() for t in labels if t and t.strip()]


def test_a_chinese_shop_sees_words_in_its_explanations_and_drivers(chinese_shop, tmp_path):
    from playwright.sync_api import expect

    path, later = chinese_shop
    with serving(path, tmp_path) as url, chromium_page(tmp_path, 1280, 900) as page:
        page.goto(url)
        upload(page, later, "rows loaded")

        nav(page, "Sentiment")
        expect(page.get_by_text("Earlier spikes")).to_be_visible()
        page.get_by_role("button", name="Show reviews").first.click()
        panel = page.locator(".st-key-sentiment_alert_panel")
        expect(panel.get_by_text("Negative reviews of 包包")).to_be_visible()
        select_first_row(page, panel.locator('[data-testid="stDataFrame"]'))
        panel.get_by_text("Explain this review").click()

        expect(page.locator('[data-testid="stMetric"]', has_text="Predicted label")).to_be_visible()
        words = _words_on(page.locator(".st-key-explain_words_chart"))
        assert words and any(len(w) >= 2 for w in words), words  # words, not characters
        spans = page.locator('[data-testid="stHtml"] span[title^="attribution"]')
        spans.first.wait_for()  # all_inner_texts() does not wait for the highlighted review to be drawn
        highlighted = spans.all_inner_texts()
        assert any(len(w) >= 2 for w in highlighted), highlighted

        page.get_by_text("What drives 包包 reviews that week").click()
        expect(page.locator("h1", has_text="Drivers")).to_be_visible()
        page.get_by_role("button", name="Find the drivers").click()
        chart = page.locator(".st-key-drivers_negative_chart")
        terms = _words_on(chart)
        assert terms and sum(len(t) >= 2 for t in terms) >= len(terms) / 2, terms  # mostly words
