"""Model state told truthfully: a corrupt active version is marked broken in the registry, the previous good one
becomes active, and every reader (commands' JSON, the page check) says it fell back; `sentiment predict` reads a
one-column CSV; a copied database uses its own model folder."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from _helpers import cli_json, judgeme_reviews_csv

from engine import sentiment
from engine.cli import main as cli
from engine.store import Store

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTabbed", "plain words"]

@pytest.fixture(scope="module")
def two_versions(tmp_path_factory, tiny_base_model):
    """A database with two trained sentiment versions (the second active)."""
    folder = tmp_path_factory.mktemp("models")
    db, reviews = folder / "shop.duckdb", folder / "judgeme.csv"
    judgeme_reviews_csv(reviews, 120)
    assert cli(["ingest", "--db", str(db), str(reviews)]) == 0
    versions = []
    for _ in range(2):
        store = Store.open(db)
        versions.append(sentiment.train(store, time_budget=3, base_model=str(tiny_base_model),
                                        activate=True)["model_version"])
        store.close()
    return db, versions


def test_corrupt_active_version_is_marked_broken_and_every_reader_is_told(two_versions, tmp_path, capsys):
    db, (first, second) = two_versions
    weights = db.with_suffix(".models") / "sentiment" / second / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 3])
    try:
        store = Store.open(db)
        state = sentiment.check_active(store)  # the page's cheap check, before anything is loaded
        assert state["active_version"] == first and state["fell_back_from"] == second
        assert "corrupt" in state["reason"]
        versions = sentiment.list_versions(store).set_index("version")
        assert "corrupt" in versions.loc[second, "broken_reason"] and not versions.loc[second, "active"]
        assert versions.loc[first, "active"] and versions.loc[first, "broken_reason"] is None
        store.close()
        capsys.readouterr()

        for _ in range(2):  # told every time, not only on the run that found it
            assert cli(["sentiment", "score", "--db", str(db), "--json"]) == 0
            out = capsys.readouterr()
            scored = json.loads(out.out)
            assert scored["model_version"] == first and scored["fell_back_from"] == second
            assert f"model version {second} is broken" in out.err

        assert cli(["explain", "review", "--db", str(db), "--json", "--text", "great quality"]) == 0
        assert cli_json(capsys)["fell_back_from"] == second

        one_column = tmp_path / "texts.csv"
        with open(one_column, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["review"], *([t] for t in HOSTILE)])
        out_csv = tmp_path / "scored.csv"
        assert cli(["sentiment", "predict", "--db", str(db), "--json", "--input", str(one_column),
                    "--text-column", "review", "--output", str(out_csv)]) == 0
        assert cli_json(capsys)["fell_back_from"] == second
        with open(out_csv, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["review"] for r in rows] == [
            "'" + t if t[0] in "=+-@\t" else t for t in HOSTILE]  # "-2+3" is no plain number: neutralised too
        assert [r["label"] for r in rows] and all(r["label"] in ("negative", "neutral", "positive") for r in rows)
    finally:
        weights.write_bytes(good)

    store = Store.open(db)
    sentiment.activate(store, second)  # repaired: activating it again clears the mark and the notice
    assert sentiment.fallback_notice(store) is None
    assert sentiment.check_active(store) == {"active_version": second, "fell_back_from": None, "reason": None}
    assert sentiment.load_active(store).version == second
    store.close()
    assert cli(["sentiment", "score", "--db", str(db), "--json"]) == 0
    assert cli_json(capsys)["fell_back_from"] is None


def test_predict_reads_one_column_and_semicolon_files(two_versions, tmp_path, capsys):
    db, _ = two_versions
    one = tmp_path / "one.csv"
    one.write_text("review\nlove it\nthe zipper broke\nwould buy again\n", encoding="utf-8")
    semi = tmp_path / "semi.csv"
    semi.write_text("id;review\n1;love it\n2;poor quality\n", encoding="utf-8")
    for path, n in ((one, 3), (semi, 2)):
        out = tmp_path / f"{path.stem}-out.csv"
        code = cli(["sentiment", "predict", "--db", str(db), "--input", str(path), "--text-column", "review",
                    "--output", str(out)])
        assert code == 0, capsys.readouterr().err
        with open(out, newline="", encoding="utf-8") as fh:
            assert len(list(csv.DictReader(fh))) == n


def test_a_copied_database_uses_its_own_model_folder(two_versions, tmp_path):
    db, (_, second) = two_versions
    copy = tmp_path / "elsewhere" / "copy.duckdb"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    shutil.copytree(db.with_suffix(".models"), copy.with_suffix(".models"))
    store = Store.open(copy)
    try:
        listed = sentiment.list_versions(store).set_index("version")
        assert all(str(p).startswith(str(copy.with_suffix(".models"))) for p in listed["path"])
        stored = store.con.execute("SELECT path FROM model_versions").fetchall()
        assert all(not p.startswith("/") for (p,) in stored)  # relative to the model folder
        # the original's folder going away does not matter to the copy
        original = db.with_suffix(".models")
        moved = original.with_name("moved-away.models")
        original.rename(moved)
        try:
            assert sentiment.load_active(store).version == second
        finally:
            moved.rename(original)
    finally:
        store.close()


def test_every_model_page_tells_that_it_fell_back(two_versions, monkeypatch):
    """Sentiment, Explain, Drivers and Training name the good version and warn about the broken one."""
    from _helpers import no_exception, serve_db
    from streamlit.testing.v1 import AppTest

    from dashboard import APP_PATH

    db, (first, second) = two_versions
    store = Store.open(db)
    sentiment.activate(store, second)
    store.close()
    weights = db.with_suffix(".models") / "sentiment" / second / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes(good[:100])
    serve_db(monkeypatch, db)
    try:
        at = AppTest.from_file(str(APP_PATH), default_timeout=60).run()
        for page in ("views/reviews/sentiment.py", "views/reviews/explain.py", "views/reviews/drivers.py",
                     "views/models/training.py"):
            at.switch_page(page).run()
            no_exception(at)
            warnings = [w.value for w in at.warning]
            assert any(f"Model version {second} is broken" in w and f"version {first} is now the active one" in w
                       for w in warnings), (page, warnings)
            shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.subheader])
            assert f"{second} (active)" not in shown and f"Active version {second}" not in shown, page
    finally:
        weights.write_bytes(good)
        store = Store.open(db)
        sentiment.activate(store, second)
        store.close()
