"""The contract's model commands end to end: ingest, sentiment train/score/predict, explain review."""

from __future__ import annotations

import csv

from _helpers import cli_json, judgeme_reviews_csv

from engine.cli import main as cli


def test_train_score_predict_explain(tmp_path, capsys, tiny_base_model):
    db, reviews = str(tmp_path / "shop.duckdb"), tmp_path / "judgeme.csv"
    judgeme_reviews_csv(reviews, 160)
    assert cli(["ingest", "--db", db, "--json", str(reviews)]) == 0
    assert cli_json(capsys)["files"][0]["format"] == "judgeme_reviews"

    assert cli(["sentiment", "score", "--db", db, "--json"]) == 2  # no model yet: usage error, one line
    assert "no sentiment model yet" in capsys.readouterr().err

    missing = str(tmp_path / "no-such-model")
    assert cli(["sentiment", "train", "--db", db, "--json", "--base-model", missing]) == 2  # bad input, one line
    err = capsys.readouterr().err.strip().splitlines()
    assert "no-such-model" in err[-1] and "does not exist" in err[-1]
    assert cli(["sentiment", "score", "--db", db, "--json"]) == 2  # and no version was registered
    assert not list(tmp_path.glob("*.models/sentiment"))  # nor an empty version folder left behind

    capsys.readouterr()
    assert cli(["sentiment", "train", "--db", db, "--json", "--time-budget", "8",
                "--base-model", str(tiny_base_model), "--activate"]) == 0  # active whatever the tiny model scores
    report = cli_json(capsys)
    assert {"model_version", "device", "n_train", "n_eval", "macro_f1", "baseline_macro_f1", "seconds"} <= set(report)
    assert report["activated"] is True
    assert report["n_train"] + report["n_eval"] == 160 and report["seconds"] <= 30

    assert cli(["sentiment", "score", "--db", db, "--json"]) == 0
    scored = cli_json(capsys)
    assert scored["n_scored"] == 160 and scored["model_version"] == report["model_version"]

    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    texts = ["love it, great quality", "the zipper broke, returned it at once", "it is okay"]
    with open(src, "w", newline="") as fh:
        csv.writer(fh).writerows([["id", "review"], *[[i, t] for i, t in enumerate(texts)]])
    assert cli(["sentiment", "predict", "--db", db, "--input", str(src), "--text-column", "review",
                "--output", str(out)]) == 0
    capsys.readouterr()
    rows = list(csv.DictReader(open(out)))
    assert [r["review"] for r in rows] == texts  # input order kept
    assert {"label", "p_negative", "p_neutral", "p_positive"} <= set(rows[0])
    assert all(abs(sum(float(r[k]) for k in ("p_negative", "p_neutral", "p_positive")) - 1) < 1e-6 for r in rows)
    assert cli(["sentiment", "predict", "--db", db, "--input", str(src), "--text-column", "nope",
                "--output", str(out)]) == 2

    assert cli(["explain", "review", "--db", db, "--json", "--text", texts[1]]) == 0
    explained = cli_json(capsys)
    assert {"label", "probability", "tokens", "convergence_delta"} <= set(explained)
    assert all(texts[1][t["start"]:t["end"]] == t["token"] for t in explained["tokens"])
