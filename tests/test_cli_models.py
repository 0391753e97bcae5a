"""The contract's model commands end to end: ingest, sentiment train/score/predict, explain review."""

from __future__ import annotations

import csv
import json
import random

from engine.cli import main as cli

POOLS = {
    1: ["the zipper broke", "poor quality", "strap came loose", "returned it at once"],
    3: ["it is okay", "nothing special", "does the job", "average colour"],
    5: ["love it", "beautiful and well made", "great quality", "would buy again"],
}


def _reviews_csv(path) -> None:
    rng = random.Random(1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "body", "rating", "review_date", "reviewer_name", "product_handle"])
        for i in range(160):
            rating = rng.choice([1, 2, 3, 4, 5, 5])
            pool = POOLS[1] if rating <= 2 else POOLS[3] if rating == 3 else POOLS[5]
            w.writerow(["", f"{rng.choice(pool).capitalize()}, {rng.choice(pool)} (#{i}).", rating,
                        f"2026-0{1 + i % 8}-{1 + i % 27:02d} 10:00:00 UTC", f"A{i}", "tote"])


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_train_score_predict_explain(tmp_path, capsys, tiny_base_model):
    db, reviews = str(tmp_path / "shop.duckdb"), tmp_path / "judgeme.csv"
    _reviews_csv(reviews)
    assert cli(["ingest", "--db", db, "--json", str(reviews)]) == 0
    assert _json(capsys)["files"][0]["format"] == "judgeme_reviews"

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
                "--base-model", str(tiny_base_model)]) == 0
    report = _json(capsys)
    assert {"model_version", "device", "n_train", "n_eval", "macro_f1", "baseline_macro_f1", "seconds"} <= set(report)
    assert report["n_train"] + report["n_eval"] == 160 and report["seconds"] <= 30

    assert cli(["sentiment", "score", "--db", db, "--json"]) == 0
    scored = _json(capsys)
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
    explained = _json(capsys)
    assert {"label", "probability", "tokens", "convergence_delta"} <= set(explained)
    assert all(texts[1][t["start"]:t["end"]] == t["token"] for t in explained["tokens"])
