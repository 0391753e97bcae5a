"""The Sentiment and Training pages (streamlit.testing AppTest) on a real database, without and with a trained
model, plus the pieces AppTest cannot click: chart selections and the background job registry.

The trained-model case trains one real tiny model (engine.sentiment.train, 8-second budget) once per module on
~400 generated reviews; scores are then inserted into review_sentiment directly (except a few that the page's
background scoring job scores for real), so the pages must read the model's labels from that table.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from _helpers import no_exception, open_page, serve_db, texts

from dashboard import charts
from dashboard import services as S
from engine.store import Store

START = date(2026, 1, 5)  # a Monday
WEEKS = 16
PER_WEEK = 12
SPIKE_WEEK = 10  # Bags: 9 of 12 negative that week, 1 of 12 every other week
UNRATED = 3  # reviews without stars: left out until a model scores them
REVIEW_COLUMNS = ("review_id", "review_ts", "product_id", "product_name", "category", "customer_id", "author",
                  "rating", "title", "text", "batch_id")
TEXTS = {
    1: ("Broke quickly", "The zipper broke after two days, really poor quality."),
    2: ("Disappointed", "Strap came loose and the stitching is coming apart."),
    3: ("It's okay", "Does the job, nothing special, colour a bit duller than shown."),
    4: ("Nice", "Good quality for the price and arrived quickly."),
    5: ("Love it", "Beautiful, well made and exactly as pictured. Would buy again."),
}


def _reviews() -> pd.DataFrame:
    rows = []
    for week in range(WEEKS):
        monday = datetime.combine(START + timedelta(weeks=week), datetime.min.time())
        for category in ("Bags", "Home"):
            negative = 9 if (category == "Bags" and week == SPIKE_WEEK) else 1
            ratings = [1 + i % 2 for i in range(negative)] + [3] + [4 + i % 2 for i in range(PER_WEEK - negative - 1)]
            for i, rating in enumerate(ratings):
                title, text = TEXTS[rating]
                rows.append((f"{category[0]}{week:02d}-{i:02d}", monday + timedelta(days=i % 7, hours=8 + i),
                             f"{category[:3].upper()}-{i % 3}", f"{category} item {i % 3}", category, None, "Ann",
                             float(rating), title, f"{text} (#{week}-{i})", "batch-1"))
    for i in range(UNRATED):
        rows.append((f"U-{i}", datetime.combine(START, datetime.min.time()) + timedelta(hours=20 + i), "BAG-0",
                     "Bags item 0", "Bags", None, "Bo", None, None, "No stars given, <b>but</b> I *like* it", "batch-1"))
    return pd.DataFrame(rows, columns=list(REVIEW_COLUMNS))


def build_spike_shop(path: Path) -> None:
    """Reviews, two orders spanning their dates (so the sidebar's range covers them) and an upload row."""
    store = Store.open(path)
    store.con.register("generated_reviews", _reviews())
    store.con.execute(f"INSERT INTO reviews ({', '.join(REVIEW_COLUMNS)}) "
                      f"SELECT {', '.join(REVIEW_COLUMNS)} FROM generated_reviews")
    store.con.unregister("generated_reviews")
    last = START + timedelta(weeks=WEEKS, days=-1)
    store.con.executemany(
        "INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, product_name, category, quantity, "
        "unit_price, revenue, currency, status, batch_id) VALUES (?, 1, ?, 'c1', 'BAG-0', 'Bags item 0', 'Bags', 1, "
        "10, 10, 'EUR', 'completed', 'batch-1')",
        [("o1", datetime.combine(START, datetime.min.time())), ("o2", datetime.combine(last, datetime.min.time()))],
    )
    store.con.execute("INSERT INTO uploads (batch_id, file_name, format, kind, rows_read, rows_loaded, rows_rejected, "
                      "rows_duplicate, uploaded_at) VALUES ('batch-1', 'gen.csv', 'generic', 'reviews', 1, 1, 0, 0, "
                      "now())")
    store.close()


def trained_spike_shop(path: Path, base_model: Path, scored: bool = False) -> Path:
    """The spike shop with one tiny model trained on it (made active whatever it scores), every review scored by it
    when `scored`: what the journeys, explanation and drivers tests start from."""
    from engine import sentiment

    build_spike_shop(path)
    store = Store.open(path)
    try:
        sentiment.train(store, time_budget=4, base_model=str(base_model), quantize=False, activate=True)
        if scored:
            sentiment.score(store)
    finally:
        store.close()
    return path


@pytest.fixture()
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "sent.duckdb"
    build_spike_shop(path)
    return serve_db(monkeypatch, path)


# ---------------------------------------------------------------------------------------------- no model


def test_sentiment_page_without_model_uses_star_ratings_and_flags_the_spike(db):
    at = open_page("views/reviews/sentiment.py")
    assert texts(at.title) == ["Sentiment"]
    assert any("labels come from star ratings until a model is trained" in t.lower() for t in texts(at.info))
    assert any(f"{UNRATED} reviews in range have neither a star rating nor a model score" in t
               for t in texts(at.caption))
    assert any("Earlier spikes" in t for t in texts(at.warning))
    spike = f"{START + timedelta(weeks=SPIKE_WEEK):%Y-%m-%d}"
    lines = [t for t in texts(at.markdown) if t.startswith("- ")]
    assert lines and all(t.startswith("- Bags: 75% negative") for t in lines)
    # a plain reading of the p-value in the sentence, the p-value itself in its help
    assert any(f"week of {spike} (9 of 12) vs 8% before (10 of 120), very unlikely to be chance" in t for t in lines)
    assert any(m.proto.help.startswith("p < 0.001") for m in at.markdown if m.value.startswith("- "))
    assert len(at.get("plotly_chart")) == 3
    assert len(at.dataframe[-1].value) == 200  # the newest 200 of every labelled review
    assert any(f"{2 * WEEKS * PER_WEEK} reviews, showing the newest 200" in t for t in texts(at.caption))


def test_sentiment_page_alert_lists_the_reviews_behind_it_and_filters_them(db):
    at = open_page("views/reviews/sentiment.py")
    at.button(key="sentiment_past_0").click().run()
    no_exception(at)
    spike = pd.Timestamp(START + timedelta(weeks=SPIKE_WEEK))
    assert at.selectbox(key="sentiment_pick_category").value == "Bags"
    assert at.selectbox(key="sentiment_pick_period").value == spike
    assert at.selectbox(key="sentiment_pick_label").value == "negative"
    table = at.dataframe[-1].value
    assert len(table) == 9 and set(table["label"]) == {"negative"} and set(table["category"]) == {"Bags"}
    assert (pd.to_datetime(table["date"]) >= spike).all()
    at.text_input(key="sentiment_search").input("zipper").run()  # 1-star texts mention the zipper
    no_exception(at)
    assert set(at.dataframe[-1].value["rating"]) == {1.0} and len(at.dataframe[-1].value) == 5
    at.text_input(key="sentiment_search").input("100%_").run()  # wildcards are literal
    assert at.dataframe[-1].value.empty
    at.selectbox(key="sentiment_pick_label").set_value(S.SENTIMENT_ALL).run()
    at.text_input(key="sentiment_search").input("").run()
    assert len(at.dataframe[-1].value) == PER_WEEK
    # monthly periods, small multiples, one category: no exceptions, the month's alert is there too
    at.button_group(key="sentiment_freq").set_value("M").run()
    no_exception(at)
    assert at.selectbox(key="sentiment_pick_period").value == S.SENTIMENT_ALL  # a week is no month: back to all
    at.radio(key="sentiment_view").set_value("Small multiples").run()
    no_exception(at)
    at.radio(key="sentiment_view").set_value("One category").run()
    at.selectbox(key="sentiment_category").set_value("Home").run()
    no_exception(at)
    at.toggle(key="sentiment_shift_all").set_value(False).run()
    no_exception(at)


def test_chart_selection_maps_to_period_category_and_label(db):
    from engine.analytics import Filters
    from engine.sentiment import trends as T

    store = Store.open(db)
    try:
        weekly = T.sentiment_by_period(store, Filters(), "W")
        cats = T.category_comparison(store, Filters())
    finally:
        store.close()
    fig = charts.sentiment_shares(weekly[weekly["category"] == "Bags"], "W", "Bags")
    negative = fig.data[0]
    point = {"curve_number": 0, "point_index": SPIKE_WEEK, "customdata": list(negative.customdata[SPIKE_WEEK])}
    picked = charts.selected_point({"selection": {"points": [point], "point_indices": [SPIKE_WEEK]}})
    assert picked == {"period": pd.Timestamp(START + timedelta(weeks=SPIKE_WEEK)), "category": "Bags",
                      "label": "negative"}
    fig = charts.category_sentiment(cats)
    pos = fig.data[2]
    picked = charts.selected_point({"selection": {"points": [{"customdata": list(pos.customdata[0])}]}})
    assert picked["period"] is None and picked["label"] == "positive" and picked["category"] in {"Bags", "Home"}
    all_cats = charts.sentiment_shares(T.combine_categories(weekly), "W", None)
    picked = charts.selected_point({"selection": {"points": [{"customdata": list(all_cats.data[1].customdata[0])}]}})
    assert picked["category"] is None and picked["label"] == "neutral"
    assert charts.selected_point(None) is None
    assert charts.selected_point({"selection": {"points": [], "box": [], "lasso": []}}) is None
    # user text in plotly is inert
    evil = weekly.assign(category="<b>x</b> 100%")
    fig = charts.sentiment_shares(evil[evil.index < 3], "W", "<b>x</b> 100%")
    assert "<b>x</b>" not in fig.layout.title.text and "<b>x</b>" not in fig.data[0].hovertemplate


def test_training_page_without_model(db):
    at = open_page("views/models/training.py")
    assert texts(at.title) == ["Sentiment model"]
    assert any("No model yet" in t for t in texts(at.info))
    assert at.slider(key="training_budget").value == 600
    assert at.text_input(key="training_base_model").value == ""
    assert any(b.label == "Train" and not b.disabled for b in at.button)
    assert any(f"{2 * WEEKS * PER_WEEK:,} rated reviews with text" in t for t in texts(at.caption))


def test_job_registry_runs_in_the_background_reports_progress_failures_and_cancels():
    reg = S.JobRegistry()
    gate = threading.Event()

    def work(job):
        job.update(0.5, "half way")
        gate.wait(10)
        return {"ok": True}

    job = reg.start("db-a", "score", {}, work)
    deadline = time.time() + 10
    while job.fraction < 0.5 and time.time() < deadline:
        time.sleep(0.01)
    assert job.running and job.message == "half way" and reg.current("db-a") is job
    with pytest.raises(S.JobBusyError):
        reg.start("db-a", "train", {}, work)
    other = reg.start("db-b", "score", {}, lambda j: {"other": 1})  # another database is independent
    gate.set()
    job.thread.join(10)
    other.thread.join(10)
    assert job.status == "done" and job.result == {"ok": True} and job.fraction == 1.0 and reg.current("db-a") is None

    failed = reg.start("db-a", "train", {}, lambda j: 1 / 0)
    failed.thread.join(10)
    assert failed.status == "failed" and "ZeroDivisionError" in failed.error and reg.latest("db-a") is failed

    def slow(job):
        for i in range(1000):
            job.update(i / 1000, f"step {i}")
            time.sleep(0.01)
        return {}

    cancelled = reg.start("db-a", "train", {}, slow)
    S.cancel_job(cancelled)
    cancelled.thread.join(10)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None


# ------------------------------------------------------------------------------------------- with a model


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    """One real tiny training run (8 s budget), then scores inserted directly: model labels that differ from the
    stars for a known set of reviews, and a few reviews left unscored."""
    from engine import sentiment

    path = tmp_path_factory.mktemp("trained") / "sent.duckdb"
    build_spike_shop(path)
    store = Store.open(path)
    t0 = time.monotonic()
    report = sentiment.train(store, time_budget=8, quantize=False, activate=True)
    seconds = time.monotonic() - t0
    version = report["model_version"]
    reviews = store.con.execute("SELECT review_id, rating FROM reviews ORDER BY review_id").df()
    stars = sentiment.labels_from_ratings(reviews["rating"])
    # The model calls every Home review of week 0 negative (the stars say mostly positive) and labels the
    # unrated reviews positive; 4 reviews of the last week stay unscored for the scoring job.
    flipped = {f"H00-{i:02d}" for i in range(PER_WEEK)}
    rows = []
    for rid, label in zip(reviews["review_id"], stars):
        label = "negative" if rid in flipped else (label or "positive")
        p = {"negative": (0.8, 0.1, 0.1), "neutral": (0.1, 0.8, 0.1), "positive": (0.1, 0.1, 0.8)}[label]
        rows.append((rid, label, *p, version))
    later = {f"B{WEEKS - 1:02d}-{i:02d}" for i in range(4)}  # rated reviews of the last week
    scored, unscored = [r for r in rows if r[0] not in later], [r for r in rows if r[0] in later]
    store.con.register("scores", pd.DataFrame(scored, columns=["review_id", "label", "p_negative", "p_neutral",
                                                               "p_positive", "model_version"]))
    store.con.execute("INSERT INTO review_sentiment SELECT *, now()::TIMESTAMP FROM scores")
    store.con.unregister("scores")
    store.close()
    return {"path": path, "version": version, "report": report, "seconds": seconds, "n_scored": len(scored),
            "unscored": [r[0] for r in unscored]}


@pytest.fixture()
def trained_db(trained, monkeypatch) -> dict:
    serve_db(monkeypatch, trained["path"])
    return trained


def test_tiny_training_stays_fast(trained_db):
    assert trained_db["seconds"] < 60, trained_db["seconds"]


def test_sentiment_page_reads_the_model_labels(trained_db):
    at = open_page("views/reviews/sentiment.py")
    assert not any("until a model is trained" in t for t in texts(at.info))
    captions = texts(at.caption)
    assert any(f"the sentiment model for {trained_db['n_scored']:,} reviews" in t and trained_db["version"] in t
               for t in captions)
    assert any("Score the 4 reviews the active model has not scored" == b.label for b in at.button)
    assert not any("neither a star rating nor a model score" in t for t in captions)  # the unrated are scored
    at.selectbox(key="sentiment_pick_category").set_value("Home").run()
    at.selectbox(key="sentiment_pick_period").set_value(pd.Timestamp(START)).run()
    at.selectbox(key="sentiment_pick_label").set_value("negative").run()
    no_exception(at)
    table = at.dataframe[-1].value
    assert len(table) == PER_WEEK and set(table["label_source"]) == {"model"}  # stars say only 1 is negative


def test_training_page_with_a_model_shows_scores_confusion_and_versions(trained_db):
    at = open_page("views/models/training.py")
    report = trained_db["report"]
    assert any(f"Active version {trained_db['version']}" in t for t in texts(at.subheader))
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Your model's score", "Simple method's score"]  # merchant's words (issue 21)
    assert at.metric[0].value == f"{report['macro_f1']:.3f}" and at.metric[1].value == f"{report['baseline_macro_f1']:.3f}"
    warned = any("does not beat the simple method" in t for t in texts(at.warning))
    assert warned == (not report["beats_baseline"])
    assert len(at.get("plotly_chart")) == 2  # model and baseline confusion matrices
    per_class = at.dataframe[0].value
    assert per_class["label"].tolist() == ["negative", "neutral", "positive"]
    assert per_class["support"].sum() == report["n_eval"]
    active = [b for b in at.button if b.key == f"training_activate_{trained_db['version']}"]
    assert active and active[0].label == "Active" and active[0].disabled


def test_delete_an_older_version_from_the_versions_table(trained_db):
    """An inactive version can be deleted (its files go); the active one offers no delete button."""
    store = Store.open(trained_db["path"])
    version = trained_db["version"]
    # model_versions.path is relative to the database's model folder, so a copied database uses its own copy
    folder = store.models_dir / store.con.execute("SELECT path FROM model_versions WHERE version = ?",
                                                  [version]).fetchone()[0]
    old = "20000102-000000"
    shutil.copytree(folder, folder.parent / old)
    store.con.execute("INSERT INTO model_versions (family, version, created_at, path, active, metrics, base_model, "
                      "data_hash) SELECT family, ?, created_at - INTERVAL 1 DAY, ?, FALSE, metrics, "
                      "base_model, data_hash FROM model_versions WHERE version = ?", [old, str(folder.parent / old), version])
    store.close()
    at = open_page("views/models/training.py")
    keys = {b.key for b in at.button}
    assert f"training_delete_{old}" in keys and f"training_delete_{version}" not in keys
    at.button(key=f"training_delete_{old}").click().run()
    no_exception(at)
    assert any(f"Version {old} was deleted" in t and "MB freed" in t for t in texts(at.success))
    assert not (folder.parent / old).exists()
    assert f"training_activate_{old}" not in {b.key for b in at.button}
    assert any(f"Active version {version}" in t for t in texts(at.subheader))


def test_rollback_to_an_older_version(trained_db):
    """A second registered version (a copy of the trained one, registered as older) can be rolled back to."""
    store = Store.open(trained_db["path"])
    version = trained_db["version"]
    folder, created = store.con.execute(
        "SELECT path, created_at FROM model_versions WHERE version = ?", [version]).fetchone()
    folder = store.models_dir / folder
    old = "20000101-000000"
    shutil.copytree(folder, Path(folder).parent / old)
    metrics = json.dumps({**trained_db["report"], "model_version": old, "macro_f1": 0.123})
    store.con.execute("INSERT INTO model_versions (family, version, created_at, path, active, metrics, base_model, "
                      "data_hash) VALUES ('sentiment', ?, ?, ?, FALSE, ?, 'base', 'h')",
                      [old, created - timedelta(days=1), str(Path(folder).parent / old), metrics])
    store.close()
    try:
        at = open_page("views/models/training.py")
        button = at.button(key=f"training_activate_{old}")
        assert button.label == "Roll back" and not button.disabled
        button.click().run()
        no_exception(at)
        assert any(f"Version {old} is active now" in t for t in texts(at.success))
        assert any(f"Active version {old}" in t for t in texts(at.subheader))
        assert at.metric[0].value == "0.123"
        at.button(key=f"training_activate_{version}").click().run()  # and forward again
        no_exception(at)
        assert any(f"Active version {version}" in t for t in texts(at.subheader))
    finally:
        store = Store.open(trained_db["path"])
        store.con.execute("DELETE FROM model_versions WHERE version = ?", [old])
        store.con.execute("UPDATE model_versions SET active = (version = ?)", [version])
        store.close()


def test_scoring_job_started_from_the_training_page_scores_the_rest(trained_db):
    at = open_page("views/models/training.py")
    at.button(key="training_score_new").click().run()
    no_exception(at)
    deadline = time.time() + 120
    while time.time() < deadline:
        job = S.jobs().latest(str(Path(trained_db["path"]).resolve()))
        if job is not None and not job.running:
            break
        time.sleep(0.5)
    assert job is not None and job.status == "done", (job.status, job.error) if job else None
    assert job.result["n_scored"] == len(trained_db["unscored"])
    at.run()
    no_exception(at)
    assert any(f"Scored {len(trained_db['unscored'])} reviews" in t for t in texts(at.success))
    store = Store.open(trained_db["path"])  # read-write like the app's own connection in this process
    try:
        n = store.con.execute("SELECT count(*) FROM review_sentiment").fetchone()[0]
    finally:
        store.close()
    assert n == trained_db["n_scored"] + len(trained_db["unscored"])


# --------------------------------------------------------------- training within its budget (issue 32, item 4)


def test_training_page_estimates_the_whole_job_before_it_starts(db):
    at = open_page("views/models/training.py")
    at.slider(key="training_budget").set_value(60).run()
    no_exception(at)
    n_reviews = 2 * WEEKS * PER_WEEK + UNRATED
    estimate = [t for t in texts(at.info) if "training" in t]
    assert estimate == [f"About 1 min training, then about 20 s to label {n_reviews:,} reviews in the background (at "
                        "a cautious speed for this model; only if the new version is made active; Drivers and other "
                        "pages keep working)."], texts(at.info)
    at.checkbox(key="training_score_after").uncheck().run()
    assert "About 1 min training." in texts(at.info)


def test_training_page_refuses_a_budget_too_short_for_the_reviews(tmp_path, monkeypatch):
    from test_sentiment import generate_reviews, insert_reviews

    path = tmp_path / "big.duckdb"
    store = Store.open(path)
    insert_reviews(store, generate_reviews(9000, seed=3))
    store.close()
    serve_db(monkeypatch, path)
    at = open_page("views/models/training.py")
    at.slider(key="training_budget").set_value(30).run()
    assert any("30 s is too short for 9,000 rated reviews" in t and "Choose at least 1 min 00 s" in t
               for t in texts(at.warning)), texts(at.warning)
    assert at.button(key="training_go").disabled
    at.slider(key="training_budget").set_value(60).run()
    assert not at.button(key="training_go").disabled


def test_training_result_box_says_whether_the_version_was_made_active(db, tiny_base_model):
    """Two real tiny trainings through the page's service: one activated on request (then every review is labelled
    by its own background job), one under the rule; the result box says which happened and why."""
    key = str(Path(db).resolve())
    forced = S.start_training(30, str(tiny_base_model), score_after=True, activate=True)
    assert forced.wait(60) and forced.status == "done", forced.error
    report = forced.result
    assert report["activated"] and report["seconds"] <= 30 + 8  # budget + slack_seconds(30)
    labelling = S.jobs().latest(key, background=True)
    assert labelling is not None and labelling.id == report["scoring_job"] and labelling.kind == "score_after_train"
    assert labelling.wait(60) and labelling.status == "done"
    at = open_page("views/models/training.py")
    version = report["model_version"]
    assert any(t.startswith(f"Trained version {version} in ") and t.endswith(
        f"and made it active: score {report['macro_f1']:.3f} vs {report['baseline_macro_f1']:.3f} for the simple "
        "method. Every review is being labelled with it in the background.") for t in texts(at.success)), \
        texts(at.success)
    assert any(f"Scored {2 * WEEKS * PER_WEEK + UNRATED} reviews with version {version}" in t
               for t in texts(at.success))

    ruled = S.start_training(30, str(tiny_base_model), score_after=True)
    assert ruled.wait(60) and ruled.status == "done", ruled.error
    second = ruled.result
    at.run()
    no_exception(at)
    if second["activated"]:
        assert any(f"Trained version {second['model_version']}" in t and "made it active" in t
                   for t in texts(at.success))
    else:
        assert S.jobs().latest(key, background=True) is labelling  # no labelling for a version kept inactive
        assert any(f"Trained version {second['model_version']}" in t and f"but kept {version} active" in t
                   and "Activate it below if you want it anyway." in t for t in texts(at.warning)), texts(at.warning)
