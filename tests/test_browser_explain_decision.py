"""Issue 32, item 5, in a real headless Chromium: the probability the Explain page explains is the one it shows, the
one stored for the review and the one the model's decision rule (`predict_proba`) gives, not the transformer's own.

One tiny model is trained for real on the Sentiment tests' reviews (a planted Bags spike) and every review scored,
so the review (typed by id, as a merchant following an alert would reach it) carries a stored model score."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from _browser import chromium_page, serving

pytestmark = pytest.mark.browser
REVIEW = "B10-00"  # a 1-star Bags review of the spike week ("The zipper broke after two days, really poor quality.")


@pytest.fixture()
def scored_reviews_db(tmp_path, tiny_base_model) -> Path:
    """The planted-spike reviews, one tiny model trained on them and every review scored by it."""
    from test_app_sentiment_pages import trained_spike_shop

    return trained_spike_shop(tmp_path / "decision.duckdb", tiny_base_model, scored=True)


def _decided(path: Path, review_id: str) -> tuple[str, float]:
    """The model's decision for a stored review, computed by the product's own scorer (predict_proba)."""
    from engine import explain, sentiment
    from engine.store import LABELS, Store

    store = Store.open(path)
    try:
        text = explain.review_text(store, review_id)["model_text"]
        model = sentiment.load_active(store)
    finally:
        store.close()
    p = model.predict_proba([text])[0]
    return LABELS[int(p.argmax())], float(p.max())


def test_the_explained_probability_is_the_shown_one(scored_reviews_db, tmp_path):
    from playwright.sync_api import expect

    with serving(scored_reviews_db, tmp_path) as url, chromium_page(tmp_path, 1280, 900) as page:
        page.goto(f"{url}/explain")
        entry = page.get_by_label("…or its review id")
        entry.fill(REVIEW)
        entry.press("Enter")
        headline = page.get_by_role("heading", name=re.compile(r"^Why the page says "))
        expect(headline).to_be_visible(timeout=120_000)  # Captum on a shared machine
        said = re.match(r"Why the page says ([\d.]+%) (\w+)", headline.inner_text().strip())
        assert said, headline.inner_text()
        shown, label = said.group(1), said.group(2)
        metric = page.locator('[data-testid="stMetric"]', has_text=f"P({label})")
        assert metric.locator('[data-testid="stMetricValue"]').inner_text().strip() == shown
        predicted = page.locator('[data-testid="stMetric"]', has_text="Predicted label")
        assert predicted.locator('[data-testid="stMetricValue"]').inner_text().strip() == label
        # the stored score of the review (scored by the product) reads the same
        caption = page.get_by_text(re.compile(r"stored label \w+ [\d.]+% \(from model\)")).first.inner_text()
        assert f"stored label {label} {shown} (from model)" in caption, caption
        assert f"review id {REVIEW}" in caption
        decided_label, p = _decided(scored_reviews_db, REVIEW)
        assert (decided_label, f"{p:.1%}") == (label, shown)
        # the completeness check says, in words, that the weights add up to that same figure
        expect(page.get_by_text(f"The highlighted weights add up to the shown {shown} minus")).to_be_visible()
        expect(page.get_by_text("The highlights explain this figure")).to_be_visible()
