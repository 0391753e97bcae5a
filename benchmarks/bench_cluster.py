"""Cluster benchmark: `storelens sentiment score --all` over 20,000 real reviews in-process with one thread, and on a
local Ray with one and with two single-threaded workers, interleaved in the same run; optionally the same job on a
two-node Ray started on this machine (`ray start --head`, then `ray start --address`).

    python benchmarks/bench_cluster.py [--n 20000] [--budget 150] [--repeats 1] [--two-node]
                                       [--out docs/benchmarks_cluster.md]

Each variant is the command a user runs, timed end to end (imports, Ray start, model load on the workers, reading and
writing the store); the reviews/s the command reports is shown beside it. Every variant's stored labels and
probabilities are compared with the in-process run's. The model is fine-tuned once on the same reviews (int8 when
it keeps macro-F1, as `sentiment train` decides) and kept in benchmarks/_data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import cores, cpu_name, load_average  # noqa: E402

from engine.store import Store, compose_text, read_df  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "womens_clothing_reviews.csv"
DB = ROOT / "benchmarks" / "_data" / "cluster" / "reviews.duckdb"
STORELENS = [sys.executable, "-m", "engine.cli"]
VARIANTS = {
    "in-process, 1 thread": ["--threads", "1"],
    "Ray local, 1 worker x 1 thread": ["--ray", "local", "--workers", "1", "--threads", "1"],
    "Ray local, 2 workers x 1 thread": ["--ray", "local", "--workers", "2", "--threads", "1"],
}


def build(n: int, budget: float) -> dict:
    """The benchmark database: `n` clothing reviews (title + text, rating) and a sentiment model trained on them."""
    if DB.exists():
        store = Store.open(DB)
        try:
            from engine import sentiment

            if sentiment.has_model(store) and int(read_df(store, "SELECT count(*) AS n FROM reviews")["n"][0]) == n:
                return sentiment.version_metrics(store)
        finally:
            store.close()
        shutil.rmtree(DB.parent)
    DB.parent.mkdir(parents=True, exist_ok=True)
    raw = pd.read_csv(DATA)
    raw = raw[[bool(compose_text(t, r)) for t, r in zip(raw["Title"], raw["Review Text"])]].head(n)
    rows = pd.DataFrame({
        "review_id": [f"c{i:06d}" for i in range(len(raw))], "title": raw["Title"].astype(object),
        "text": raw["Review Text"].astype(object), "rating": pd.to_numeric(raw["Rating"]).astype(float),
        "category": raw["Department Name"].astype(object), "batch_id": "bench"})
    store = Store.open(DB)
    try:
        with store.transaction() as con:
            con.register("_bench", rows)
            con.execute("INSERT INTO reviews (review_id, title, text, rating, category, batch_id) "
                        "SELECT review_id, title, text, rating, category, batch_id FROM _bench")
            con.unregister("_bench")
    finally:
        store.close()
    out = subprocess.run([*STORELENS, "sentiment", "train", "--db", str(DB), "--json", "--time-budget", str(budget),
                          "--activate"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run(args: list[str], env: dict | None = None) -> tuple[float, dict]:
    """One `sentiment score --all` command: (wall seconds, its JSON)."""
    t0 = time.perf_counter()
    out = subprocess.run([*STORELENS, "sentiment", "score", "--db", str(DB), "--json", "--all", *args], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"storelens {' '.join(args)} failed: {out.stderr.strip().splitlines()[-1:]}")
    return seconds, json.loads(out.stdout)


def stored() -> pd.DataFrame:
    """The scores as the last run left them."""
    store = Store.open(DB)
    try:
        return read_df(store, "SELECT review_id, label, p_negative, p_neutral, p_positive FROM review_sentiment "
                              "ORDER BY review_id")
    finally:
        store.close()


def difference(a: pd.DataFrame, b: pd.DataFrame) -> tuple[int, float]:
    """(labels that differ, largest probability difference) between two runs' scores."""
    assert a["review_id"].tolist() == b["review_id"].tolist()
    cols = ["p_negative", "p_neutral", "p_positive"]
    return int((a["label"] != b["label"]).sum()), float(np.abs(a[cols].to_numpy() - b[cols].to_numpy()).max())


def free_port() -> int:
    """A TCP port nobody listens on, for the two-node Ray's head."""
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


def two_node() -> tuple[float, dict, pd.DataFrame]:
    """The same job on a two-node Ray started here with `ray start` (one CPU each); both nodes are stopped by the
    process ids this run started (never `ray stop`, which would stop every Ray on the machine)."""
    from ray.util import get_node_ip_address

    ray = str(Path(sys.executable).with_name("ray"))
    port, host = free_port(), get_node_ip_address()  # Ray names a node by this machine's address, not loopback
    # every process of the cluster, and StoreLens, authenticate with this machine's Ray token (~/.ray/auth_token)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
    common = ["--num-cpus", "1", "--num-gpus", "0", "--disable-usage-stats", "--block"]
    head = subprocess.Popen([ray, "start", "--head", "--port", str(port), "--include-dashboard", "false", *common],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    nodes = [head]
    try:
        address = f"{host}:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:  # the head's GCS answers once it is up
            try:
                socket.create_connection((host, port), timeout=1).close()
                break
            except OSError:
                time.sleep(1)
        worker = subprocess.Popen([ray, "start", "--address", address, *common], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        nodes.append(worker)
        check = ("import ray, time\nray.init(address='%s', logging_level='ERROR')\n"
                 "t = time.time()\nwhile len([n for n in ray.nodes() if n['Alive']]) < 2 and time.time() - t < 120:\n"
                 "    time.sleep(1)\nprint(len([n for n in ray.nodes() if n['Alive']]))" % address)
        alive = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env)
        if alive.returncode != 0:
            raise RuntimeError(f"the two-node Ray did not come up: {alive.stderr.strip().splitlines()[-1:]}")
        n_nodes = int(alive.stdout.strip().splitlines()[-1])
        seconds, report = run(["--ray", address, "--threads", "1"], {"RAY_AUTH_MODE": "token"})
        report["nodes"] = n_nodes
        return seconds, report, stored()
    finally:
        for node in reversed(nodes):  # each node's processes share the process group its `ray start` leads
            os.killpg(node.pid, signal.SIGTERM)
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(node.pid, signal.SIGKILL)
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"  # `ray start`'s note for ray.init()
        if current.is_file() and current.read_text().strip() == f"{host}:{port}":
            current.unlink()


def main() -> int:
    """Build the data, run the variants interleaved, write the section."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--budget", type=float, default=150.0, help="training seconds for the benchmark's model")
    ap.add_argument("--repeats", type=int, default=1, help="rounds of the three variants, interleaved")
    ap.add_argument("--two-node", action="store_true", help="also run on a two-node Ray started on this machine")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks_cluster.md")
    args = ap.parse_args()

    model = build(args.n, args.budget)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    loads: list[str] = []
    reference = None
    diffs: dict[str, tuple[int, float]] = {}
    for r in range(args.repeats):
        for name, extra in VARIANTS.items():
            loads.append(load_average())
            seconds, report = run(extra)
            assert report["n_scored"] == args.n, report
            times[name].append(seconds)
            rates[name].append(report["reviews_per_second"])
            scores = stored()
            if reference is None:
                reference = scores
            else:
                d = difference(reference, scores)
                diffs[name] = max(diffs.get(name, (0, 0.0)), d)
            print(f"round {r + 1} {name}: {seconds:.1f} s ({report['reviews_per_second']} reviews/s, load "
                  f"{loads[-1]})", flush=True)
    node_line = ""
    if args.two_node:
        loads.append(load_average())
        seconds, report, scores = two_node()
        d = difference(reference, scores)
        node_line = (f"\nTwo-node Ray on this machine (`ray start --head --num-cpus 1`, then `ray start --address` with "
                     f"`--num-cpus 1`; {report['nodes']} nodes alive, {report['workers']} workers): {seconds:.1f} s "
                     f"end to end ({report['reviews_per_second']} reviews/s); against in-process: {d[0]} labels "
                     f"differ, largest probability difference {d[1]:.2e} (load {loads[-1]}).\n")
        print(node_line.strip(), flush=True)

    med = {k: float(np.median(v)) for k, v in times.items()}
    one, ray1, ray2 = (med[k] for k in VARIANTS)
    lines = [
        "## Scoring on a Ray cluster (`--ray`)\n",
        f"`python benchmarks/bench_cluster.py --n {args.n} --repeats {args.repeats}"
        + (" --two-node" if args.two_node else "") + "`: `storelens sentiment score --all` over "
        f"{args.n:,} women's clothing reviews, model {model.get('model_version')} ({model.get('runtime')}, "
        f"macro-F1 {model.get('macro_f1')}), each variant the whole command (imports, Ray start, model load on the "
        f"workers, reading and writing the store), interleaved over {args.repeats} round(s); median seconds.\n",
        f"Machine: {cpu_name()}, {cores()} cores, shared with other work: 1-minute load average before each run "
        f"{', '.join(loads)}.\n",
        "| variant | seconds | reviews/s (as the command reports) | vs in-process 1 thread | labels differing / "
        "largest probability difference vs in-process |",
        "|---|---|---|---|---|",
    ]
    for name in VARIANTS:
        d = diffs.get(name)
        lines.append(f"| {name} | {med[name]:.1f} | {np.median(rates[name]):.1f} | {med[name] / one:.2f}x | "
                     + ("reference" if d is None else f"{d[0]} / {d[1]:.2e}") + " |")
    busy = max(float(x) for x in loads if x != "n/a") if any(x != "n/a" for x in loads) else 0.0

    def verdict(ok: bool) -> str:
        # Another job holding the cores decides these ratios more than the runner does: no verdict then.
        if busy > cores():
            return f"not judged: the load average reached {busy:.1f} on {cores()} cores during the run"
        return "met" if ok else "NOT met"

    lines += [
        "",
        f"Goals on this 2-core machine: Ray with 1 worker within 1.15x of the in-process one-thread time: "
        f"{ray1 / one:.2f}x ({verdict(ray1 <= 1.15 * one)}); 2 workers at least 1.7x faster than 1 worker: "
        f"{ray1 / ray2:.2f}x ({verdict(ray1 >= 1.7 * ray2)}).\n",
        node_line,
    ]
    args.out.write_text("\n".join(lines).rstrip() + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
