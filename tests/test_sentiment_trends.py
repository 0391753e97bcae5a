"""engine.sentiment.trends on a real DuckDB store: small generated reviews plus review_sentiment rows inserted
directly (no model is trained here)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from engine import sentiment as S
from engine.analytics import Filters
from engine.sentiment import trends as T
from engine.store import Store

START = date(2026, 1, 5)  # a Monday
WEEKS = 12
PER_WEEK = 30
SPIKE_WEEK = 11  # the last complete week: Spiky has 18 of 30 negative there
PAST_SPIKE_WEEK = 5  # an earlier spike that shift_history must find too
COLUMNS = ("review_id", "review_ts", "product_id", "product_name", "category", "customer_id", "author", "rating",
           "title", "text", "batch_id")


def _ratings(n_negative: int, n_neutral: int, n: int) -> list[float]:
    """n ratings with exactly n_negative 1–2 stars and n_neutral 3 stars, the rest 4–5."""
    out = [1.0 + (i % 2) for i in range(n_negative)] + [3.0] * n_neutral
    return out + [4.0 + (i % 2) for i in range(n - len(out))]


def _reviews() -> list[tuple]:
    rows = []
    for week in range(WEEKS):
        monday = datetime.combine(START + timedelta(weeks=week), datetime.min.time())
        plan = {
            "Flat": _ratings(3, 3, PER_WEEK),  # 10% negative every week
            "Spiky": _ratings(18 if week == SPIKE_WEEK else 15 if week == PAST_SPIKE_WEEK else 3, 3, PER_WEEK),
        }
        for category, ratings in plan.items():
            for i, rating in enumerate(ratings):
                ts = monday + timedelta(days=i % 7, hours=9 + i % 8)
                rid = f"{category[0]}{week:02d}-{i:02d}"
                text = f"{'bad' if rating < 2.5 else 'ok' if rating < 3.5 else 'good'} product, week {week}"
                rows.append((rid, ts, f"p-{category}", f"{category} Bag", category, None, "a", rating, None, text,
                             "b1"))
    # the week after the last complete one has begun (Wednesday): it is incomplete and must not be tested
    last = datetime.combine(START + timedelta(weeks=WEEKS, days=2), datetime.min.time()) + timedelta(hours=10)
    rows.append(("F-late", last, "p-Flat", "Flat Bag", "Flat", None, "a", 1.0, None, "late and bad", "b1"))
    # special rows for search, unrated and uncategorised reviews (all in week 0)
    monday = datetime.combine(START, datetime.min.time()) + timedelta(hours=12)
    rows += [
        ("X-pct", monday, "p-x", "Odd Wool", "Odd", None, "a", 5.0, "100% wool", "Really 100% wool", "b1"),
        ("X-under", monday, "p-x", "Odd Wool", "Odd", None, "a", 4.0, "snake_case", "Has an under_score", "b1"),
        ("X-plain", monday, "p-x", "Odd Wool", "Odd", None, "a", 4.0, "1000 wool", "100 wool, no sign", "b1"),
        ("X-unrated", monday, "p-x", "Odd Wool", "Odd", None, "a", None, None, "no stars, no score", "b1"),
        ("X-scored", monday, "p-x", "Odd Wool", "Odd", None, "a", None, None, "no stars, but scored", "b1"),
        ("X-nocat", monday, "p-y", None, None, None, "a", 2.0, None, "no category", "b1"),
    ]
    return rows


@pytest.fixture()
def store(tmp_path) -> Store:
    s = Store.open(tmp_path / "trends.duckdb")
    frame = pd.DataFrame(_reviews(), columns=list(COLUMNS))  # one INSERT ... SELECT: executemany is slow
    s.con.register("generated_reviews", frame)
    s.con.execute(f"INSERT INTO reviews ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM generated_reviews")
    s.con.unregister("generated_reviews")
    # The model disagrees with the stars on two Flat reviews of week 0, and labels one unrated review.
    s.con.executemany(
        "INSERT INTO review_sentiment VALUES (?, ?, ?, ?, ?, 'v1', now()::TIMESTAMP)",
        [("F00-29", "negative", 0.8, 0.1, 0.1), ("F00-28", "neutral", 0.1, 0.8, 0.1),
         ("X-scored", "positive", 0.05, 0.05, 0.9)],
    )
    return s


def test_labels_come_from_the_model_when_scored_else_from_stars(store):
    df = T.sentiment_by_period(store, Filters(), "W")
    week0 = df[(df["period"] == pd.Timestamp(START)) & (df["category"] == "Flat")].iloc[0]
    # stars say 3 negative, 3 neutral, 24 positive; the model turned two positives into negative and neutral
    assert (week0["n"], week0["n_negative"], week0["n_neutral"], week0["n_positive"]) == (30, 4, 4, 22)
    assert week0["n_model"] == 2 and week0["n_rated"] == 30
    odd = df[(df["category"] == "Odd")].iloc[0]
    assert odd["n"] == 4  # three rated + the unrated one the model scored; the unrated, unscored one is left out
    assert odd["n_rated"] == 3
    assert "(no category)" in set(df["category"])
    cov = T.coverage(store, Filters())
    assert cov.n_excluded == 1 and cov.n_model == 3 and cov.model_versions == ("v1",)
    assert cov.n_reviews == cov.n_model + cov.n_rating + cov.n_excluded


def test_shares_sum_to_one_and_match_counts(store):
    for freq in ("W", "M"):
        df = T.sentiment_by_period(store, Filters(), freq)
        assert not df.empty
        total = df["share_negative"] + df["share_neutral"] + df["share_positive"]
        assert np.allclose(total, 1.0)
        assert (df["n"] == df["n_negative"] + df["n_neutral"] + df["n_positive"]).all()
        assert np.allclose(df["share_negative"], df["n_negative"] / df["n"])
    months = T.sentiment_by_period(store, Filters(), "M")
    assert set(months["period"].dt.day) == {1}
    weeks = T.sentiment_by_period(store, Filters(), "W")
    assert set(weeks["period"].dt.day_of_week) == {0}
    combined = T.combine_categories(weeks)
    assert (combined.groupby("period")["n"].sum() == weeks.groupby("period")["n"].sum()).all()
    assert np.allclose(combined[["share_negative", "share_neutral", "share_positive"]].sum(axis=1), 1.0)
    cats = T.category_comparison(store, Filters())
    assert np.allclose(cats[["share_negative", "share_neutral", "share_positive"]].sum(axis=1), 1.0)
    flat = cats.set_index("category").loc["Flat"]
    assert flat["n"] == WEEKS * PER_WEEK + 1 and flat["avg_p_positive"] == pytest.approx(0.1)


def test_filters_restrict_dates_and_categories(store):
    f = Filters(START + timedelta(weeks=2), START + timedelta(weeks=3, days=6), ("Spiky",))
    df = T.sentiment_by_period(store, f, "W")
    assert set(df["category"]) == {"Spiky"}
    assert list(df["period"]) == [pd.Timestamp(START + timedelta(weeks=2)), pd.Timestamp(START + timedelta(weeks=3))]
    assert df["n"].tolist() == [PER_WEEK, PER_WEEK]
    with pytest.raises(ValueError):
        T.sentiment_by_period(store, Filters(), "D")


def test_z_test_flags_the_planted_spike_and_not_the_flat_category(store):
    shifts = T.significant_shifts(store, Filters(), "W").set_index("category")
    spiky, flat = shifts.loc["Spiky"], shifts.loc["Flat"]
    last = pd.Timestamp(START + timedelta(weeks=SPIKE_WEEK))  # the late Flat review's week is incomplete
    assert spiky["period"] == last and flat["period"] == last
    assert (spiky["n_negative"], spiky["n"]) == (18, 30)
    assert (spiky["n_negative_before"], spiky["n_before"]) == (3 * 10 + 15, 11 * 30)
    assert spiky["significant"] and spiky["p_value"] < 0.001 and spiky["z"] > 5
    assert not flat["significant"] and flat["p_value"] > 0.3
    assert not shifts.loc["Odd", "tested"]  # too few reviews: no test, never flagged
    assert shifts.index[0] == "Spiky"  # significant first
    # The same with a Bonferroni correction, exact-only or z-only p-values, and a short baseline.
    for kwargs in ({"correction": "bonferroni"}, {"test": "exact"}, {"test": "z"}, {"baseline_periods": 4}):
        s = T.significant_shifts(store, Filters(), "W", **kwargs).set_index("category")
        assert s.loc["Spiky", "significant"] and not s.loc["Flat", "significant"], kwargs


def test_shift_history_finds_past_spikes(store):
    hist = T.shift_history(store, Filters(), "W")
    flagged = set(zip(hist["category"], hist["period"]))
    assert ("Spiky", pd.Timestamp(START + timedelta(weeks=PAST_SPIKE_WEEK))) in flagged
    assert ("Spiky", pd.Timestamp(START + timedelta(weeks=SPIKE_WEEK))) in flagged
    assert not any(c == "Flat" for c, _ in flagged)
    assert hist["significant"].all() and (hist["p_adjusted"] < 0.05).all()
    everything = T.shift_history(store, Filters(), "W", only_flagged=False)
    assert len(everything) > len(hist) and everything["tested"].all()


def test_two_proportion_z_and_exact_tests_by_hand():
    # 18/30 vs 45/330: pooled 63/360
    z, p = T.two_proportion_ztest(18, 30, 45, 330)
    pooled = 63 / 360
    se = np.sqrt(pooled * (1 - pooled) * (1 / 30 + 1 / 330))
    assert float(z) == pytest.approx((18 / 30 - 45 / 330) / se)
    assert float(p) < 1e-8
    z, p = T.two_proportion_ztest([0, 5], [10, 0], [0, 1], [10, 10])
    assert z[0] == 0 and p[0] == pytest.approx(0.5) and np.isnan(p[1])  # equal zero shares; empty group
    exact = T.fisher_greater(6, 10, 57, 439)
    assert float(exact) == pytest.approx(fisher_exact([[6, 4], [57, 382]], alternative="greater")[1])
    _, p_auto, used = T.shift_pvalues([6, 300], [10, 1000], [57, 200], [439, 1000])
    assert list(used) == ["exact", "z"]  # small expected counts use the exact test
    assert p_auto[0] == pytest.approx(float(exact))


def test_p_value_corrections():
    p = [0.01, 0.04, 0.03, np.nan, 0.5]
    bh = T.adjust_pvalues(p, "bh")
    assert np.isnan(bh[3])
    assert bh[[0, 2, 1, 4]] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert T.adjust_pvalues(p, "bonferroni")[[0, 1, 4]] == pytest.approx([0.04, 0.16, 1.0])
    with pytest.raises(ValueError):
        T.adjust_pvalues(p, "holm")


def test_reviews_for_returns_the_rows_behind_a_point(store):
    week = START + timedelta(weeks=SPIKE_WEEK)
    rows = T.reviews_for(store, Filters(), "Spiky", week, "W", label="negative")
    assert len(rows) == 18 and set(rows["label"]) == {"negative"} and set(rows["category"]) == {"Spiky"}
    assert rows["review_id"].str.startswith(f"S{SPIKE_WEEK:02d}-").all()
    assert rows["review_ts"].is_monotonic_decreasing
    assert list(rows.columns[:12]) == ["review_id", "review_ts", "product_id", "product_name", "category", "rating",
                                       "label", "label_source", "p_negative", "p_neutral", "p_positive",
                                       "model_version"]
    assert T.count_reviews_for(store, Filters(), "Spiky", week, "W") == PER_WEEK
    # a day inside the period means the same period; a month works too
    assert len(T.reviews_for(store, Filters(), "Spiky", week + timedelta(days=3), "W", label="negative")) == 18
    assert T.count_reviews_for(store, Filters(), "Flat", date(2026, 2, 17), "M") == 4 * PER_WEEK
    # the model's label wins over the stars; unscored unrated reviews are not listed
    f0 = T.reviews_for(store, Filters(), "Flat", START, "W", label="negative")
    assert "F00-29" in set(f0["review_id"])
    assert f0.set_index("review_id").loc["F00-29", "label_source"] == "model"
    assert T.count_reviews_for(store, Filters(), "Odd") == 4
    assert len(T.reviews_for(store, Filters(), limit=5)) == 5


def test_reviews_for_search_escapes_wildcards_and_is_parameterised(store):
    def ids(search):
        return set(T.reviews_for(store, Filters(), search=search)["review_id"])

    assert ids("100%") == {"X-pct"}  # '%' is literal, not "anything"
    assert ids("_") == {"X-under"}  # '_' is literal, not "any character"
    assert ids("UNDER_SCORE") == {"X-under"}  # case-insensitive
    assert ids("odd wool") == {"X-pct", "X-under", "X-plain", "X-scored"}  # product name
    assert ids("'; DROP TABLE reviews; --") == set()
    assert store.con.execute("SELECT count(*) FROM reviews").fetchone()[0] > 0
    assert T.count_reviews_for(store, Filters(), "Spiky", search="bad", label="negative") == 3 * 10 + 15 + 18
    with pytest.raises(ValueError):
        T.reviews_for(store, Filters(), label="angry")


def test_registry_reads(store):
    assert S.active_version(store) is None and S.version_metrics(store) == {} and S.version_count(store) == 0
    report = {"macro_f1": 0.7, "baseline_macro_f1": 0.6, "confusion_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}
    store.con.executemany(
        "INSERT INTO model_versions (family, version, created_at, path, active, metrics, base_model, data_hash) "
        "VALUES ('sentiment', ?, ?, '/nowhere', ?, ?, 'base', 'h')",
        [("v1", datetime(2026, 1, 1), False, json.dumps({"macro_f1": 0.5})),
         ("v2", datetime(2026, 1, 2), True, json.dumps(report))],
    )
    assert S.active_version(store) == "v2" and S.version_count(store) == 2
    assert S.version_metrics(store)["confusion_matrix"] == report["confusion_matrix"]
    assert S.version_metrics(store, "v1") == {"macro_f1": 0.5, "model_version": "v1"}
    cov = T.coverage(store, Filters())
    assert cov.active_version == "v2" and cov.n_not_scored_by_active == cov.n_reviews  # scores are from v1
    before = T.data_version(store)
    store.con.execute("UPDATE review_sentiment SET model_version = 'v2', scored_at = now()::TIMESTAMP")
    assert T.data_version(store) != before
    data = T.training_data(store)
    assert data["n_rated"] == data["n_reviews"] - 2 and sum(data["labels"].values()) == data["n_rated"]


def test_demo_store_bags_quality_problem_is_found(tmp_path):
    """The planted quality problem of the sample data (Bags, June 2026) is flagged without looking for it."""
    from engine.demo import load_demo

    s = Store.open(tmp_path / "demo.duckdb")
    load_demo(s)
    weekly = T.shift_history(s, Filters(), "W")
    assert set(weekly["category"]) == {"Bags"}
    assert pd.Timestamp("2026-06-08") in set(weekly["period"])
    assert weekly["period"].between(pd.Timestamp("2026-06-01"), pd.Timestamp("2026-07-12")).all()
    monthly = T.shift_history(s, Filters(), "M")
    assert list(zip(monthly["category"], monthly["period"])) == [("Bags", pd.Timestamp("2026-06-01"))]
    # in its own time the spike was the last complete month, and the test says so
    june = T.significant_shifts(s, Filters(None, date(2026, 6, 30)), "M").set_index("category")
    assert june.loc["Bags", "significant"] and not june.drop("Bags")["significant"].any()
