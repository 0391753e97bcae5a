"""Jobs over every review or customer on a real local Ray with two single-threaded workers (`--ray`): the same
answers as in-process, every row once after a worker is killed mid-job, one clear line for what cannot run.

One Ray session serves the whole module (starting one takes seconds); commands given `--ray local` use it."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import cli_json, judgeme_reviews_csv, no_exception, open_page, serve_db, texts

from engine.cli import main as cli

pytest.importorskip("ray.data", reason="the cluster extra is not installed")

TOL = 1e-5
PROBS = ["p_negative", "p_neutral", "p_positive"]


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray with two one-CPU workers, shared by the module's tests and shut down after them."""
    from engine.models import Engine
    from engine.models._distributed import ray_session

    with ray_session(Engine("local", 2, 1)) as ray:
        yield ray


@pytest.fixture(scope="module")
def shop(tmp_path_factory, tiny_base_model) -> Path:
    """A database of 160 rated reviews with a tiny sentiment model trained on them."""
    folder = tmp_path_factory.mktemp("cluster")
    db, reviews = folder / "shop.duckdb", folder / "judgeme.csv"
    judgeme_reviews_csv(reviews, 160)
    assert cli(["ingest", "--db", str(db), str(reviews)]) == 0
    assert cli(["sentiment", "train", "--db", str(db), "--time-budget", "8", "--base-model",
                str(tiny_base_model), "--activate"]) == 0
    return db


def _parent(pid: int) -> int:
    """The parent process id (0 when the process is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _ours(pid: int) -> bool:
    """Whether the process descends from this test process (the module's Ray), not from any other Ray here."""
    while pid > 1:
        pid = _parent(pid)
        if pid == os.getpid():
            return True
    return False


def _worker_pids() -> list[int]:
    """Processes of this session's model actors (their process title names the class)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::") and b"_ModelWorker" in title and _ours(int(entry.name)):
                pids.append(int(entry.name))
    return pids


def test_ray_scores_equal_in_process(shop, ray_local, capsys):
    from engine import sentiment
    from engine.models import Engine
    from engine.store import Store

    store = Store.open(str(shop))
    try:
        model = sentiment.load_active(store)
        sentiment.score(store, model=model, batch_size=40)
        before = _scores_of(store)
        store.con.execute("DELETE FROM review_sentiment")
        report = sentiment.score_new(store, model=model, batch_size=40, engine=Engine("local", 2, 1))
        after = _scores_of(store)
    finally:
        store.close()
    assert report["n_scored"] == 160 and report["engine"] == "ray" and report["workers"] == 2
    assert before["review_id"].tolist() == after["review_id"].tolist()
    assert before["label"].tolist() == after["label"].tolist()
    assert np.abs(before[PROBS].to_numpy() - after[PROBS].to_numpy()).max() <= TOL
    assert set(after["model_version"]) == {model.version}

    # the command: only what the active model has not scored, unless --all; --json says where it ran
    assert cli(["sentiment", "score", "--db", str(shop), "--json", "--ray", "local", "--workers", "2"]) == 0
    assert cli_json(capsys)["n_scored"] == 0
    assert cli(["sentiment", "score", "--db", str(shop), "--json", "--all", "--ray", "local"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["n_scored"] == 160 and out["engine"] == "ray" and out["workers"] >= 1
    assert "160/160 reviews" in captured.err  # rows done / rows total on stderr


def _scores_of(store):
    from engine.store import read_df

    return read_df(store, "SELECT * FROM review_sentiment ORDER BY review_id")


def test_ray_predict_keeps_input_order_and_answers(shop, ray_local, tmp_path, capsys):
    src = tmp_path / "in.csv"
    texts = [f"{t} (#{i})" for i in range(300) for t in ("love it, great quality", "the zipper broke",
                                                          "it is okay", "")][:900]
    with open(src, "w", newline="") as fh:
        csv.writer(fh).writerows([["id", "review"], *[[i, t] for i, t in enumerate(texts)]])
    outs = {}
    for name, extra in (("here", []), ("ray", ["--ray", "local", "--workers", "2"])):
        out = tmp_path / f"{name}.csv"
        assert cli(["sentiment", "predict", "--db", str(shop), "--json", "--input", str(src), "--text-column",
                    "review", "--output", str(out), *extra]) == 0
        outs[name] = (list(csv.DictReader(open(out))), cli_json(capsys))
    (here, _), (ray, report) = outs["here"], outs["ray"]
    assert report["engine"] == "ray" and "workers" in report and report["n_scored"] == len(texts)
    assert [r["id"] for r in ray] == [str(i) for i in range(len(texts))]
    assert [r["label"] for r in ray] == [r["label"] for r in here]
    diff = max(abs(float(a[k]) - float(b[k])) for a, b in zip(here, ray) for k in PROBS)
    assert diff <= TOL


def test_killed_worker_still_scores_every_review_once(shop, ray_local):
    from engine import sentiment
    from engine.models import Engine
    from engine.store import Store, read_df

    store = Store.open(str(shop))
    try:
        # 6,400 reviews in blocks of 50: long enough on two workers that one can be killed while blocks are left
        store.con.execute("INSERT INTO reviews SELECT r.* REPLACE (r.review_id || '-copy-' || t.i AS review_id) "
                      "FROM reviews r, range(39) t(i) WHERE r.review_id NOT LIKE '%-copy-%'")
        n = int(read_df(store, "SELECT count(*) AS n FROM reviews")["n"][0])
        model = sentiment.load_active(store)
        killed: dict[str, int] = {}

        def progress(fraction: float, message: str) -> None:
            if fraction > 0 and not killed:
                pids = _worker_pids()
                assert pids, "no Ray worker process found"
                os.kill(pids[0], signal.SIGKILL)
                killed.update(pid=pids[0], done=int(message.split("/")[0].replace(",", "")))

        store.con.execute("DELETE FROM review_sentiment")
        report = sentiment.score_new(store, model=model, batch_size=50, engine=Engine("local", 2, 1),
                                     progress=progress)
        assert killed and killed["done"] < n, killed  # it died with blocks left
        assert killed["pid"] not in _worker_pids()
        assert report["n_scored"] == n
        stored = read_df(store, "SELECT s.*, r.title, r.text FROM review_sentiment s JOIN reviews r USING "
                                "(review_id) ORDER BY review_id")
        assert len(stored) == n and stored["review_id"].is_unique
        assert set(stored["model_version"]) == {model.version}
        texts = [sentiment.compose_text(a, b) for a, b in zip(stored["title"], stored["text"])]
        here = sentiment.predict_frame(model, texts)
        assert np.abs(here[PROBS].to_numpy() - stored[PROBS].to_numpy()).max() <= TOL
    finally:
        store.con.execute("DELETE FROM reviews WHERE review_id LIKE '%-copy-%'")
        store.close()


def test_what_cannot_run_is_one_line_and_exit_2(shop, ray_local, capsys, monkeypatch):
    args = ["sentiment", "score", "--db", str(shop), "--json"]
    assert cli([*args, "--ray", "127.0.0.1:9"]) == 2  # nothing listens on the discard port
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Ray cluster answers at 127.0.0.1:9" in err[0], err
    assert cli([*args, "--ray", "not an address"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert cli([*args, "--workers", "2"]) == 2  # --workers needs --ray
    assert "--workers needs --ray" in capsys.readouterr().err
    assert cli([*args, "--ray", "local", "--threads", "0"]) == 2
    capsys.readouterr()

    monkeypatch.setitem(sys.modules, "ray", None)  # an install without the cluster extra
    monkeypatch.setenv("STORELENS_RAY", "local")
    assert cli(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install -e ".[cluster]"' in err[0], err


def test_default_path_never_loads_ray():
    code = ("import sys; from engine.cli._main import _parser; _parser(); import engine.models, engine.sentiment; "
            "assert 'ray' not in sys.modules, 'ray was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "STORELENS_RAY": ""})


def test_recommend_export_on_ray_ranks_as_in_process(ray_local, tmp_path, capsys):
    from _recommend_data import planted_store

    from engine import recommend
    from engine.models import Engine

    store = planted_store(tmp_path / "shop.duckdb")
    try:
        model = recommend.train(store, {"seed": 0, "use_text": False, "lambda_grid": [1.0],
                                        "recency_grid": [[None, 1.0, 0.0]]})
    finally:
        store.close()
    here = recommend.top_k_all(model, 5, "discovery", chunk=20)
    ray = recommend.top_k_all(model, 5, "discovery", chunk=20, engine=Engine("local", 2, 1))
    assert ray.attrs["workers"] == 2 and len(here) == len(ray)
    assert ray[["customer_id", "rank", "product_id"]].equals(here[["customer_id", "rank", "product_id"]])
    assert np.abs(ray["score"].to_numpy() - here["score"].to_numpy()).max() <= TOL

    out = tmp_path / "top.csv"
    assert cli(["recommend", "export", "--db", str(tmp_path / "shop.duckdb"), "--k", "5", "--output", str(out),
                "--json", "--ray", "local"]) == 0
    report = cli_json(capsys)
    assert report["engine"] == "ray" and report["n_rows"] == len(here)


def test_segment_inference_on_ray_matches_in_process(ray_local, tmp_path, capsys):
    from _shops import shop, tiny_config

    from engine.models import Engine
    from engine.segments import train

    store = shop(tmp_path / "shop.duckdb")
    try:
        here = train(store, tiny_config()).customers
        model = train(store, tiny_config(), engine=Engine("local", 2, 1))
    finally:
        store.close()
    ray = model.customers
    assert model.ray_workers == 2 and ray["customer_id"].tolist() == here["customer_id"].tolist()
    assert ray["segment"].tolist() == here["segment"].tolist()
    assert np.abs(ray["churn_risk"].to_numpy() - here["churn_risk"].to_numpy()).max() <= TOL
    assert ray["reasons"].tolist() == here["reasons"].tolist()

    assert cli(["segment", "--db", str(tmp_path / "shop.duckdb"), "--json", "--ray", "local", "--workers", "2"]) == 0
    report = cli_json(capsys)
    assert report["engine"] == "ray" and report["workers"] == 2 and report["n_customers"] == len(here)


def test_batch_explanations_on_ray_match_in_process(shop, ray_local, tmp_path, capsys):
    from engine import explain, sentiment
    from engine.models import Engine
    from engine.store import Store, read_df

    store = Store.open(str(shop))
    try:
        model = sentiment.load_active(store)
        rows = read_df(store, "SELECT review_id, text FROM reviews ORDER BY review_id LIMIT 24")
    finally:
        store.close()
    args = (model, rows["text"].tolist(), rows["review_id"].tolist())
    here = explain.category_drivers(*args, sample_size=24, n_steps=4)
    ray = explain.category_drivers(*args, sample_size=24, n_steps=4, engine=Engine("local", 2, 1))
    assert ray["term"].tolist() == here["term"].tolist() and ray["n_reviews"].tolist() == here["n_reviews"].tolist()
    cols = ["mean_toward_negative", "mean_toward_positive"]
    assert np.abs(ray[cols].to_numpy() - here[cols].to_numpy()).max() <= TOL

    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as fh:
        csv.writer(fh).writerows([["review"], *[[t] for t in rows["text"].head(10)]])
    lines = {}
    for name, extra in (("here", []), ("ray", ["--ray", "local", "--workers", "2"])):
        out = tmp_path / f"{name}.jsonl"
        assert cli(["explain", "reviews", "--db", str(shop), "--json", "--input", str(src), "--text-column",
                    "review", "--output", str(out), *extra]) == 0
        lines[name] = ([json.loads(line) for line in open(out)], cli_json(capsys))
    (here_rows, _), (ray_rows, report) = lines["here"], lines["ray"]
    assert report["engine"] == "ray" and report["workers"] == 2 and report["n_explained"] == 10
    assert [r["row"] for r in ray_rows] == list(range(10))
    for a, b in zip(here_rows, ray_rows):
        assert a["label"] == b["label"] and [t["token"] for t in a["tokens"]] == [t["token"] for t in b["tokens"]]
        assert max(abs(x["attribution"] - y["attribution"]) for x, y in zip(a["tokens"], b["tokens"])) <= TOL


def test_training_page_scores_on_ray_and_counts_rows(shop, ray_local, monkeypatch):
    from engine.models import jobs

    serve_db(monkeypatch, shop)
    monkeypatch.setenv("STORELENS_RAY", "local")  # the app was started with the cluster setting
    at = open_page("views/models/training.py")
    assert any("run on a local Ray on this machine" in t for t in texts(at.caption)), texts(at.caption)
    at.button(key="training_score_all").click().run()
    no_exception(at)
    job = jobs().latest(str(shop.resolve()))
    assert job is not None and job.kind == "score"
    messages = set()
    while not job.wait(0.05):
        messages.add(job.message)
    assert job.status == "done", job.error
    assert job.result["engine"] == "ray" and job.result["n_scored"] == 160
    assert any(m.endswith("/160 reviews on Ray") for m in messages), messages  # rows done / rows total
    at.run()
    no_exception(at)
    assert any("Scored 160 reviews" in t and "on Ray (" in t for t in texts(at.success)), texts(at.success)
