"""The Explain and Drivers pages (streamlit.testing AppTest) on a real database, without and with a model.

The model is trained for real by engine.sentiment.train (4-second budget) on ~150 generated reviews, from a tiny
one-layer BERT saved as a local base model, so the module stays fast; it is registered and activated by train
itself. What is checked: the no-model message, the predicted label and the three probabilities, the faithfulness
badge, the completeness check in words ("the highlighted weights add up to the shown ..."), the headline naming
the shown figure, that review text containing <script>/<img onerror> is escaped in the only HTML the
page renders, that the review picked on the Sentiment page is the one explained, and the drivers view end to end.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _helpers import PAGE_TIMEOUT, no_exception, open_page, serve_db, texts
from streamlit.testing.v1 import AppTest

from dashboard import APP_PATH
from engine.models import jobs
from engine.store import Store

START = date(2026, 1, 5)
XSS_TITLE = "<img src=x onerror=alert(1)>"
XSS_TEXT = "The zipper broke <script>alert(1)</script> & it's \"poor\""
PASTED = "Terrible bag, the zipper broke <script>alert('x')</script> <img src=x onerror=alert(1)> **bold** [a](b)"
WORDS = {
    1: ["the zipper broke", "poor quality", "strap came loose", "stitching is coming apart", "returned it"],
    3: ["it is okay", "nothing special", "average colour", "does the job", "fine for the price"],
    5: ["love it", "beautiful and well made", "exactly as pictured", "great quality", "would buy again"],
}


def _reviews() -> list[tuple]:
    rng = random.Random(0)
    rows = []
    for i in range(150):
        rating = rng.choice([1, 2, 3, 4, 5, 5])
        pool = WORDS[1] if rating <= 2 else WORDS[3] if rating == 3 else WORDS[5]
        text = f"{rng.choice(pool).capitalize()}, {rng.choice(pool)}. Bought for my sister (#{i})."
        ts = datetime.combine(START, datetime.min.time()) + timedelta(hours=13 * i)
        rows.append((f"R-{i:03d}", ts, rng.choice(["Bags", "Home"]), float(rating), None, text))
    rows.append(("XSS-1", datetime.combine(START, datetime.min.time()) + timedelta(days=40), "Bags", 1.0, XSS_TITLE,
                 XSS_TEXT))
    return rows


def _build(path: Path) -> None:
    store = Store.open(path)
    store.con.executemany(
        "INSERT INTO reviews (review_id, review_ts, product_id, product_name, category, customer_id, author, rating, "
        "title, text, batch_id) VALUES (?, ?, 'BAG-0', 'Bag', ?, NULL, 'Ann', ?, ?, ?, 'batch-1')", _reviews())
    last = START + timedelta(days=90)
    store.con.executemany(
        "INSERT INTO orders (order_id, line_no, order_ts, customer_id, product_id, product_name, category, quantity, "
        "unit_price, revenue, currency, status, batch_id) VALUES (?, 1, ?, 'c1', 'BAG-0', 'Bag', 'Bags', 1, 10, 10, "
        "'EUR', 'completed', 'batch-1')",
        [("o1", datetime.combine(START, datetime.min.time())), ("o2", datetime.combine(last, datetime.min.time()))])
    store.con.execute("INSERT INTO uploads (batch_id, file_name, format, kind, rows_read, rows_loaded, rows_rejected, "
                      "rows_duplicate, uploaded_at) VALUES ('batch-1', 'gen.csv', 'generic', 'reviews', 1, 1, 0, 0, "
                      "now())")
    store.close()


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory, tiny_base_model) -> Path:
    """A database with reviews and one sentiment version trained, registered and activated by engine.sentiment."""
    from engine import sentiment

    root = tmp_path_factory.mktemp("explain_app")
    path = root / "shop.duckdb"
    _build(path)
    store = Store.open(path)
    try:
        sentiment.train(store, time_budget=4, base_model=str(tiny_base_model), quantize=False, activate=True)
        assert sentiment.has_model(store)
    finally:
        store.close()
    return path


@pytest.fixture()
def db(trained_db, monkeypatch) -> Path:
    return serve_db(monkeypatch, trained_db)


@pytest.fixture()
def empty_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "nomodel.duckdb"
    _build(path)
    return serve_db(monkeypatch, path)


class _Visible(HTMLParser):
    """Tags and visible text of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}

    def handle_data(self, data) -> None:
        self.text.append(data)


def _assert_escaped(markup: str, text: str) -> None:
    """The review shows exactly as typed, as text: no tag or attribute of its own survives."""
    parsed = _Visible()
    parsed.feed(markup)
    parsed.close()
    assert parsed.tags <= {"div", "span"}, parsed.tags
    assert parsed.attrs <= {"class", "style", "title"}, parsed.attrs
    assert "<script" not in markup and "<img" not in markup
    assert text in "".join(parsed.text)


# ------------------------------------------------------------------------------------------------- no model


def test_pages_without_a_model_say_so_and_link_to_training(empty_db) -> None:
    for page, title in (("views/reviews/explain.py", "Explain"), ("views/reviews/drivers.py", "Drivers")):
        at = open_page(page)
        assert texts(at.title) == [title]
        assert any("No sentiment model yet" in t and "Training page" in t for t in texts(at.info))
        assert not at.get("html") and not at.metric


# ----------------------------------------------------------------------------------------------- with model


def test_pasted_review_is_explained_and_its_html_escaped(db) -> None:
    at = open_page("views/reviews/explain.py")
    at.radio(key="explain_source").set_value("Pasted text").run()
    no_exception(at)
    assert any("Paste or type a review" in t for t in texts(at.info))
    at.text_area(key="explain_text").input(PASTED).run()
    no_exception(at)

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Predicted label"] in ("negative", "neutral", "positive")
    probs = [float(metrics[f"P({label})"].rstrip("%")) for label in ("negative", "neutral", "positive")]
    assert abs(sum(probs) - 100) < 0.5
    assert probs[("negative", "neutral", "positive").index(metrics["Predicted label"])] == max(probs)
    # the completeness check is read in plain words first; its technical name is in the help
    assert "Weights add up within" in metrics
    assert any("convergence delta" in (m.help or "") for m in at.metric if m.label == "Weights add up within")
    assert any(t.startswith("The highlighted weights add up to the shown ") for t in texts(at.caption))
    # the headline names the very figure the metrics show, and says which model's decision it is
    label = metrics["Predicted label"]
    assert texts(at.subheader)[0] == f"Why the page says {metrics[f'P({label})']} {label}"
    assert any(t.startswith("The highlights explain this figure") for t in texts(at.caption))
    badges = texts(at.success) + texts(at.warning) + texts(at.info)
    assert any(b.startswith(("faithful:", "warning: removing")) for b in badges), badges

    html = at.get("html")
    assert len(html) == 1  # the highlighted review is the only HTML on the page
    _assert_escaped(html[0].value, PASTED)
    assert "&lt;" in html[0].value and "rgba(" in html[0].value  # escaped (each word in its span), and highlighted
    for element in (*at.markdown, *at.caption, *at.success, *at.warning, *at.info):
        assert "<script" not in str(element.value) and "<img" not in str(element.value)
    assert len(at.get("plotly_chart")) == 1

    # another class can be explained; the cached explanation of the first stays valid
    at.selectbox(key="explain_target").set_value("positive").run()
    no_exception(at)
    _assert_escaped(at.get("html")[0].value, PASTED)
    assert {m.label: m.value for m in at.metric}["Predicted label"] == metrics["Predicted label"]


def test_review_chosen_on_the_sentiment_page_is_explained(db) -> None:
    at = open_page("views/reviews/explain.py", explain_review_id="XSS-1")
    no_exception(at)
    assert at.radio(key="explain_source").value == "A stored review"
    assert at.selectbox(key="explain_pick").value == "XSS-1"
    assert any("review id XSS-1" in t for t in texts(at.caption))
    html = at.get("html")
    assert len(html) == 1
    _assert_escaped(html[0].value, "The zipper broke <script>alert(1)</script> & it's \"poor\"")
    _assert_escaped(html[0].value, XSS_TITLE)  # the title is explained (and escaped) too
    assert at.metric[0].label == "Predicted label"

    # a typed id is explained; an unknown one says so
    at.text_input(key="explain_id_entry").input("R-007").run()
    no_exception(at)
    assert at.selectbox(key="explain_pick").value == "R-007"
    assert at.session_state["explain_review_id"] == "R-007"
    at.text_input(key="explain_id_entry").input("nope' OR '1'='1").run()
    no_exception(at)
    assert any("There is no review with id" in t for t in texts(at.warning))


def test_drivers_page_computes_drivers_and_lists_their_reviews(db) -> None:
    at = open_page("views/reviews/drivers.py")
    assert texts(at.title) == ["Drivers"]
    assert at.selectbox(key="drivers_category").value in ("Bags", "Home")
    at.selectbox(key="drivers_category").set_value("Bags").run()
    at.select_slider(key="drivers_sample").set_value(20).run()
    no_exception(at)
    assert any("Not computed yet" in t and "reviews to read, about" in t for t in texts(at.info))
    at.button(key="drivers_compute").click().run()
    no_exception(at)
    # computed in the background (issue 21): the page follows the job, then shows the result
    job = jobs().latest(str(db.resolve()))
    assert job is not None and job.kind == "drivers"
    assert job.wait(120), "the drivers job did not finish"
    assert job.status == "done", job.error
    at.run()
    no_exception(at)
    assert any(t.startswith("Sample: 20 of ") for t in texts(at.caption)), texts(at.caption)
    assert len(at.get("plotly_chart")) == 2
    # computed once: a rerun reads the stored result without the button
    at.run()
    no_exception(at)
    assert not any("Not computed yet" in t for t in texts(at.info))
    picker = at.selectbox(key="drivers_term")
    assert picker.options and all(o.endswith(("(toward negative)", "(toward positive)")) for o in picker.options)
    picker.select_index(len(picker.options) - 1).run()
    no_exception(at)
    term = at.selectbox(key="drivers_term").value.rsplit(" (toward ", 1)[0]
    assert any(f"reviews in the period contain “{term}”" in t for t in texts(at.caption))
    listed = at.dataframe[-1].value
    assert len(listed) > 0
    assert all(term.split()[0] in f"{a} {b}".lower() for a, b in zip(listed["title"], listed["text"]))


def test_drivers_open_on_the_handed_over_category_and_period_and_never_print_none(db) -> None:
    # no request: the latest alert's category, else the one with the most reviews (issue 21)
    at = open_page("views/reviews/drivers.py")
    assert at.selectbox(key="drivers_category").value in ("Bags", "Home")
    assert not any("No reviews with text in this category and period" in t for t in texts(at.info))
    # an alert or a review hands over a category and week
    week = (START + timedelta(days=14), START + timedelta(days=20))
    at = AppTest.from_file(str(APP_PATH), default_timeout=PAGE_TIMEOUT)
    at.query_params.update({"category": "Home", "from": week[0].isoformat(), "to": week[1].isoformat()})
    at.run()
    at.switch_page("views/reviews/drivers.py").run()
    no_exception(at)
    assert at.selectbox(key="drivers_category").value == "Home"
    assert tuple(at.date_input(key="drivers_dates").value) == week
    assert any("reviews to read, about" in t for t in texts(at.info)) or any(
        t.startswith("Sample:") for t in texts(at.caption))
    for frame in at.dataframe:
        assert "None" not in frame.value.astype(str).to_numpy().ravel().tolist()
