"""Benchmark of the recommender on the retail transaction log: ranking quality against baselines on a time split,
faithfulness of the explanations (counterfactual), training time and explanation latency.

    python benchmarks/bench_recommend.py [--data CSV] [--cutoff 2011-09-01] [--n-faith 200] [--out docs/...]

The log is imported once with the product's importer into benchmarks/_data/retail.duckdb (git-ignored).
Train: orders before the cut-off; test: purchases from the cut-off to the end of the log (the model's settings
are picked on an earlier validation split inside the training period, never on the test purchases).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _common import RETAIL, cores, cpu_name, load_average, retail_db  # noqa: E402

from engine.recommend import RecommendModel, attributions, explain, rank_of  # noqa: E402
from engine.store import Store  # noqa: E402


def machine_info() -> dict:
    """What the figures were measured on."""
    return {"cpu": cpu_name(), "cores": cores(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
            "python": platform.python_version()}


def faithfulness(model: RecommendModel, n: int, seed: int) -> dict[str, float]:
    """How often removing the top-attributed past item lowers the rank more than removing a random other one."""
    rng = random.Random(seed)
    customers = [c for c in model.customer_ids if len(model.purchased(model.customer_index(c))) >= 2]
    rng.shuffle(customers)
    wins = ties = total = 0
    drops_top, drops_rand = [], []
    for cust in customers:
        if total >= n:
            break
        ci = model.customer_index(cust)
        recs = model.recommend([cust], k=10)
        j = model.product_index(recs.iloc[rng.randrange(len(recs))]["product_id"])
        past = attributions(model, ci, j, "discovery")["past"]
        top = max(past, key=past.get)
        other = rng.choice([i for i in past if i != top])
        before, _ = rank_of(model, ci, j, "discovery")
        r_top, _ = rank_of(model, ci, j, "discovery", {top})
        r_rand, _ = rank_of(model, ci, j, "discovery", {other})
        wins += r_top > r_rand
        ties += r_top == r_rand
        drops_top.append(r_top - before)
        drops_rand.append(r_rand - before)
        total += 1
    return {"n": total, "win_rate": wins / max(total, 1), "tie_rate": ties / max(total, 1),
            "median_drop_top": float(statistics.median(drops_top)),
            "median_drop_random": float(statistics.median(drops_rand))}


def latency(model: RecommendModel, n: int, seed: int) -> dict[str, float]:
    """Seconds for one full explanation (attributions, sentences, counterfactual + smallest set, also-bought)."""
    rng = random.Random(seed)
    customers = [c for c in model.customer_ids if len(model.purchased(model.customer_index(c))) >= 1]
    times = []
    for cust in rng.sample(customers, n):
        j = model.recommend([cust], k=10).iloc[rng.randrange(10)]["product_id"]
        t = time.perf_counter()
        explain(model, cust, j)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"median": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1]}


def main(argv: list[str] | None = None) -> int:
    """Fit once with the benchmark's cut-off, measure, write the markdown section."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=RETAIL)
    ap.add_argument("--cutoff", default="2011-09-01")
    ap.add_argument("--n-faith", type=int, default=200)
    ap.add_argument("--n-latency", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks_recommend.md")
    args = ap.parse_args(argv)
    store = Store.open(retail_db(args.data), read_only=True)
    n_lines = store.cursor().execute("SELECT count(*) FROM orders").fetchone()[0]
    model = RecommendModel({"cutoff": args.cutoff, "seed": args.seed})
    load_start = load_average()
    t = time.perf_counter()
    steps: list[tuple[float, str]] = []
    m = model.fit(store, progress=lambda f, msg: steps.append((time.perf_counter() - t, msg)))
    train_s = time.perf_counter() - t
    print(m["verdict"], flush=True)
    faith = faithfulness(model, args.n_faith, args.seed)
    lat = latency(model, args.n_latency, args.seed)
    load_end = load_average()
    info = machine_info()
    d, r = m["modes"]["discovery"], m["modes"]["replenishment"]

    def row(name: str, res: dict, base: dict | None) -> str:
        ratio = "" if base is None else (f"{res['ndcg_at_10'] / base['ndcg_at_10']:.2f}x / "
                                          f"{res['recall_at_10'] / base['recall_at_10']:.2f}x")
        return f"| {name} | {res['ndcg_at_10']:.4f} | {res['recall_at_10']:.4f} | {ratio} |"

    knn_ratio = d["model"]["ndcg_at_10"] / d["item_knn"]["ndcg_at_10"]
    pb = r["previously_bought_popularity"]
    lines = [
        "## Recommendations (`bench_recommend.py`)", "",
        f"Machine: {info['cpu']}, {info['cores']} cores (shared; 1-minute load average {load_start} at the start, "
        f"{load_end} at the end), torch {info['torch']}, CUDA: {info['cuda']}. "
        f"Data: `{args.data.name}`, {n_lines:,} order lines; {m['n_customers']:,} customers, {m['n_items']:,} "
        f"products, {m['n_interactions']:,} customer-product purchases net of returns and cancellations.", "",
        f"Time split: train before {m['cutoff'][:10]}, test = purchases from then to the end of the log; "
        f"settings picked on a validation split at {m['validation_cutoff'][:10]} inside the training period. "
        f"Evaluated customers: {d['n_customers']} (discovery: bought something new after the cut-off), "
        f"{r['n_customers']} (replenishment). Relevant items are those bought after the cut-off among products "
        "sold before it; Recall@10 = hits / relevant items.", "",
        "### Discovery (products the customer has not bought)", "",
        "| method | NDCG@10 | Recall@10 | model ÷ item-kNN (NDCG / Recall) |", "|---|---|---|---|",
        row("model (EASE + feature hybrid)", d["model"], d["item_knn"]), row("item-kNN (cosine)", d["item_knn"], None),
        row("popularity", d["popularity"], None), "",
        f"Goal ≥ 1.15x item-kNN NDCG@10: **{knn_ratio:.2f}x — {'met' if knn_ratio >= 1.15 else 'MISSED'}**.", "",
        "### Replenishment (repeats allowed)", "",
        "| method | NDCG@10 | Recall@10 | model ÷ previously bought + popularity |", "|---|---|---|---|",
        row("model", r["model"], pb), row("previously bought + popularity", pb, None),
        row("item-kNN (cosine)", r["item_knn"], None), row("popularity", r["popularity"], None), "",
        f"Goal above 'previously bought + popularity': **{'met' if r['model']['ndcg_at_10'] > pb['ndcg_at_10'] else 'MISSED'}"
        f"** ({r['model']['ndcg_at_10']:.4f} vs {pb['ndcg_at_10']:.4f} NDCG@10, "
        f"{r['model']['recall_at_10']:.4f} vs {pb['recall_at_10']:.4f} Recall@10).", "",
        "### Explanations", "",
        f"Counterfactual faithfulness ({faith['n']} seeded (customer, top-10 recommendation) pairs, customers with "
        f"≥ 2 past products): removing the top-attributed past item lowers the rank more than removing a random "
        f"other past item in **{faith['win_rate']:.0%}** of cases (ties {faith['tie_rate']:.0%}; goal ≥ 70%: "
        f"{'met' if faith['win_rate'] >= 0.7 else 'MISSED'}). Median rank drop: {faith['median_drop_top']:.0f} "
        f"places (top item) vs {faith['median_drop_random']:.0f} (random item).", "",
        f"Latency of one full explanation (Captum integrated gradients, sentences, counterfactual and smallest set, "
        f"also-bought; {args.n_latency} seeded requests, CPU): median {lat['median'] * 1000:.0f} ms, p95 "
        f"{lat['p95'] * 1000:.0f} ms, max {lat['max'] * 1000:.0f} ms (goal ≤ 1 s: "
        f"{'met' if lat['p95'] <= 1 else 'MISSED'}).", "",
        f"Training (`fit`: name embeddings, validation search, time-split evaluation of model and baselines, refit on "
        f"all orders): {train_s:.0f} s on {m['device']}. Steps: "
        + ", ".join(f"{msg} at {s:.0f} s" for s, msg in steps) + ".", "",
        f"Chosen settings: EASE λ {m['params']['lam']:.0f}; history (half-life days, alpha, count power) per mode "
        f"{m['params']['history']}; mixing weights (on unit-spread "
        f"terms) discovery {m['params']['weights']['discovery']}, replenishment "
        f"{m['params']['weights']['replenishment']}.", "",
        f"Verdict recorded with the model: {m['verdict']}.", "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
