"""The Sentiment page of a shop with reviews in several languages (AppTest on a real database): the language mix,
the negative share per language over time, a language column and a language filter on the review list; and the
Training page's per-language table as the service builds it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from _helpers import no_exception, open_page, serve_db, texts
from _multilingual import multilingual_reviews

from dashboard import services as S
from engine.store import Store


@pytest.fixture()
def mixed_db(tmp_path, monkeypatch) -> Path:
    """Chinese, English and Japanese reviews stored without a language (as before migration v7), plus two orders
    spanning their dates so the sidebar's range covers them."""
    path = tmp_path / "mixed.duckdb"
    df = multilingual_reviews({"zh": 60, "en": 30, "ja": 15}, seed=7)
    store = Store.open(path)
    with store.transaction() as con:
        con.register("_r", df)
        con.execute("INSERT INTO reviews (review_id, review_ts, title, text, rating, category, batch_id) "
                    "SELECT review_id, review_ts, title, text, rating, category, batch_id FROM _r")
        con.executemany(
            "INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, category, quantity, unit_price,"
            " revenue, currency, status, batch_id) VALUES (?, 1, ?, 'c1', 'P', 'Dresses', 1, 10, 10, 'EUR', "
            "'completed', 'b')", [("o1", datetime(2025, 1, 1)), ("o2", datetime(2025, 1, 31))])
    store.close()
    return serve_db(monkeypatch, path)


def test_sentiment_page_shows_the_language_mix_and_filters_reviews_by_language(mixed_db):
    at = open_page("views/reviews/sentiment.py")
    no_exception(at)
    assert "Languages" in texts(at.subheader)
    charts = {c.proto.id if hasattr(c, "proto") else None for c in at.get("plotly_chart")}
    assert len(charts) >= 2
    choice = at.selectbox(key="sentiment_language")
    assert choice.options[:4] == ["All languages", "Chinese (zh)", "English (en)", "Japanese (ja)"]
    choice.set_value("zh").run()
    no_exception(at)
    table = at.dataframe[-1].value
    assert len(table) == 60 and set(table["language"]) == {"zh"}


def test_training_page_table_names_each_language_and_what_a_small_one_lacks():
    report = {
        "per_language": [
            {"language": "zh", "name": "Chinese (zh)", "n_rated": 900, "n_eval": 135, "macro_f1": 0.61,
             "baseline_macro_f1": 0.55, "margin_over_baseline": 0.06},
            {"language": "en", "name": "English (en)", "n_rated": 400, "n_eval": 60, "macro_f1": 0.7,
             "baseline_macro_f1": 0.66, "margin_over_baseline": 0.04}],
        "languages_too_few": [{"language": "ja", "name": "Japanese (ja)", "lacks": "4 held-out reviews (of 25 rated)"}],
    }
    table = S.per_language_table(report)
    assert table.columns.tolist() == S.LANGUAGE_COLUMNS
    assert table["language"].tolist() == ["Chinese (zh)", "English (en)"] and table["test reviews"].sum() == 195
    (sentence,) = S.languages_too_few(report)
    sentence = sentence.replace("\\", "")  # Markdown escapes of services.plain
    assert sentence.startswith("Japanese (ja): no score of its own yet") and "4 held-out reviews" in sentence
