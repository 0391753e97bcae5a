"""Reviews in several languages: detection stored on import and on first read, a baseline that is fair where words
are not separated by spaces, per-language figures in the training report, and explanations/drivers that find
words in Chinese and Japanese (real DuckDB, real tiny fine-tune on generated reviews)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _multilingual import multilingual_reviews

from engine import sentiment as S
from engine.explain import explain_review, faithfulness, highlight_html, term_pattern
from engine.explain._drivers import _terms
from engine.explain._faithfulness import _delete_spans
from engine.explain._words import word_spans, words
from engine.store import label_index
from engine.ingest import ingest
from engine.store import SCHEMA_VERSION, Store


def test_languages_are_detected_by_script_and_by_model():
    got = S.detect_languages([
        "这件衣服质量很差，非常失望", "この服はとても良いです", "Das Kleid war wunderschön und bequem",
        "El vestido es muy bonito y cómodo", "The dress fits perfectly and feels soft", "🙂 123 !!", None, "",
    ])
    assert got == ["zh", "ja", "de", "es", "en", None, None, None]


def test_short_unsure_reviews_take_the_uploads_common_language():
    texts = ["Das Kleid war wunderschön und bequem, sehr zu empfehlen"] * 5 + ["A+"]
    assert S.detect_languages(texts)[-1] == "de"


def test_import_stores_each_reviews_language(tmp_path):
    df = multilingual_reviews({"en": 30, "zh": 30, "ja": 30, "de": 30}, seed=2)
    path = tmp_path / "reviews.csv"
    df[["review_id", "review_ts", "rating", "title", "text"]].rename(columns={"text": "review"}).to_csv(path, index=False)
    store = Store.open(tmp_path / "shop.duckdb")
    try:
        ingest(store, path)
        got = store.cursor().execute("SELECT review_id, language FROM reviews").df()
    finally:
        store.close()
    merged = got.merge(df[["review_id", "expected_language"]], on="review_id")
    assert len(merged) == 120
    assert (merged["language"] == merged["expected_language"]).mean() >= 0.97


def test_migration_adds_the_column_and_older_rows_are_filled_when_read(tmp_path):
    store = Store.open(tmp_path / "shop.duckdb")
    try:
        assert SCHEMA_VERSION >= 7
        cols = {t: [r[0] for r in store.cursor().execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [t]).fetchall()]
            for t in ("reviews", "reviews_versions")}
        assert "language" in cols["reviews"] and "language" in cols["reviews_versions"]
        df = multilingual_reviews({"zh": 25, "de": 25}, seed=4)
        with store.transaction() as con:  # rows as a database from before v7 holds them: no language
            con.register("_r", df)
            con.execute("INSERT INTO reviews (review_id, review_ts, title, text, rating, batch_id) "
                        "SELECT review_id, review_ts, title, text, rating, batch_id FROM _r")
            con.execute("INSERT INTO reviews (review_id, text, batch_id) VALUES ('empty', '!!!', 'b')")
        frame = S.read_training_frame(store)
        assert set(frame["language"]) == {"zh", "de"}
        assert S.fill_missing_languages(store) == 0  # nothing left to fill; the punctuation-only one stays NULL
    finally:
        store.close()


def test_baseline_picks_character_ngrams_where_words_have_no_spaces(tmp_path):
    df = multilingual_reviews({"zh": 240}, seed=5)
    base = S.BaselineModel().fit(df["text"].tolist(), S.labels_from_ratings(df["rating"]))
    assert base.analyzer == "char 1-3-grams"
    assert base.selection["char 1-3-grams"] > base.selection["word 1-2-grams"]
    base.save(tmp_path)
    again = S.BaselineModel.load(tmp_path)
    assert again.analyzer == "char 1-3-grams"
    np.testing.assert_allclose(again.predict_proba(df["text"][:20]), base.predict_proba(df["text"][:20]))
    english = multilingual_reviews({"en": 240}, seed=5)
    assert S.BaselineModel().fit(english["text"].tolist(), S.labels_from_ratings(english["rating"])).selection


@pytest.fixture(scope="module")
def mixed_model(tiny_base_model):
    """A tiny fine-tune on a shop with English and Chinese reviews and a handful of Japanese ones."""
    df = multilingual_reviews({"en": 220, "zh": 220, "ja": 25}, seed=1).rename(columns={"review_ts": "ts"})
    return S.train_frame(df, time_budget=12, base_model=str(tiny_base_model), quantize=False)


def test_training_reports_each_language_beside_the_baseline(mixed_model):
    _, rep = mixed_model
    by = {e["language"]: e for e in rep["per_language"]}
    assert set(by) == {"en", "zh"}
    for e in by.values():
        assert e["n_eval"] >= 30 and 0 <= e["macro_f1"] <= 1 and 0 <= e["baseline_macro_f1"] <= 1
        assert e["margin_over_baseline"] == pytest.approx(e["macro_f1"] - e["baseline_macro_f1"], abs=1e-4)
    assert sum(e["n_eval"] for e in rep["per_language"] + rep["languages_too_few"]) == rep["n_eval"]
    (ja,) = rep["languages_too_few"]
    assert ja["language"] == "ja" and ja["n_rated"] == 25 and "held-out" in ja["lacks"]
    assert rep["baseline_kind"].startswith("TF-IDF ")


def test_chinese_and_japanese_are_cut_into_words():
    assert words("这件衣服质量很差，非常失望") == ["这件", "衣服", "质量", "很差", "非常", "失望"]
    assert words("この服はとても良い。生地は最悪です。") == ["この", "服", "は", "とても", "良い", "生地", "は", "最悪", "です"]
    assert words("I didn't like it, Größe passt.") == ["I", "didn't", "like", "it", "Größe", "passt"]
    text = "物流很快iPhone很好"
    assert [text[s:e] for s, e in word_spans(text)] == ["物流", "很快", "iPhone", "很", "好"]


def test_cjk_explanations_highlight_words_without_inserting_spaces(mixed_model):
    sm, _ = mixed_model
    text = "这件衣服很失望，面料质量很差。"
    ex = explain_review(sm, text, target="negative")
    tokens = [t["token"] for t in ex.tokens]
    assert "衣服" in tokens and "质量" in tokens and text not in tokens
    assert all(text[t["start"]:t["end"]] == t["token"] for t in ex.tokens)
    html = highlight_html(text, ex.as_dict()["tokens"], "negative", legend=False)
    shown = pd.Series([html]).str.replace(r"<[^>]+>", "", regex=True)[0]
    assert shown == text  # every character once, none added
    check = faithfulness(sm, text, ex)
    assert check.n_words == len([t for t in tokens if any(c.isalnum() for c in t)])


def test_deleting_cjk_words_leaves_no_gap_but_latin_words_stay_apart():
    assert _delete_spans("质量很差物流快", [(2, 4)]) == "质量物流快"
    assert _delete_spans("very bad fit", [(5, 8)]) == "very   fit"


def test_cjk_drivers_are_words_and_find_their_reviews():
    text = "面料质量很差，我很失望"
    tokens = [{"token": text[s:e], "start": s, "end": e, "attribution": 0.1} for s, e in word_spans(text)]
    terms = _terms(text, tokens, bigrams=True)
    assert {"面料", "质量", "很差", "失望", "质量 很差"} <= set(terms)
    assert not {"我", "很", "，"} & set(terms)  # stop words, single characters and punctuation are not drivers
    import duckdb

    def found(term: str, review: str) -> bool:  # the pattern is RE2, as DuckDB runs it
        return duckdb.connect().execute("SELECT regexp_matches(?, ?)", [review, term_pattern(term)]).fetchall()[0][0]

    assert found("质量 很差", text) and found("失望", text) and not found("很好", text)
    assert found("fit", "nice fit.") and not found("fit", "outfit")


def test_a_shop_without_three_star_reviews_trains_on_the_labels_it_has(tiny_base_model):
    """Some shops never get a 3-star review (a restaurant site with stars 1, 2, 4, 5): the model learns negative and
    positive, never answers neutral, and the language still gets its own figures."""
    from engine.sentiment import training_shortfall

    df = multilingual_reviews({"zh": 260}, seed=4).rename(columns={"review_ts": "ts"})
    df = df[df["rating"] != 3].reset_index(drop=True)
    assert training_shortfall(np.bincount(label_index(df["rating"].to_numpy()), minlength=3), len(df)) is None
    model, rep = S.train_frame(df, time_budget=12, base_model=str(tiny_base_model), quantize=False)
    assert rep["labels_absent"] == ["neutral"] and rep["label_counts_train"][1] == 0
    assert "neutral" not in set(model.predict(df["text"].tolist()))
    assert [e["language"] for e in rep["per_language"]] == ["zh"] and not rep["languages_too_few"]


@pytest.mark.parametrize("counts, said", [
    ((5, 0, 35), "found 5 negative, 0 neutral, 35 positive"),  # a label with a handful: its figures would be noise
    ((0, 0, 40), "need at least two labels"),
    ((30, 0, 9), "found 30 negative, 0 neutral, 9 positive"),
])
def test_too_few_of_a_label_that_occurs_is_refused_in_one_sentence(counts, said):
    from engine.sentiment import training_shortfall

    assert said in training_shortfall(counts, sum(counts))
