"""What the Recommendations page asks for: the active recommender's evaluation (saying plainly when it loses to
item-kNN), a customer's history and top-K with reasons, explanations, a product's also-bought list and audience,
the all-customers export, and training in the background. engine.recommend's torch parts load on first use."""

from __future__ import annotations

import pandas as pd

from engine import recommend

from . import cache
from .background import Job, ended_unfinished, start_job
from .display import duration, plain
from .session import db_path, store

__all__ = [
    "RECOMMEND_JOB",
    "recommend_active_version",
    "recommend_metrics",
    "evaluation_table",
    "model_verdicts",
    "recommend_customers",
    "recommend_products",
    "purchase_history",
    "customer_recommendations",
    "recommendation_explanations",
    "also_bought",
    "recommended_to",
    "top_k_csv",
    "start_recommend_training",
    "recommend_job_outcome",
]

RECOMMEND_JOB = "recommend_train"
# each method as a shop owner would call it; METHOD_HELP gives the technical names
METHODS = {"model": "StoreLens model", "item_knn": "Bought together", "popularity": "Best sellers",
           "previously_bought_popularity": "Bought before, then best sellers"}
METHOD_HELP = ("StoreLens model: EASE with product features. Bought together: item-kNN (cosine similarity of who "
               "bought what). Best sellers: popularity. Bought before, then best sellers: previously bought + "
               "popularity.")
EVALUATION_HELP = {
    "ranking quality": "NDCG@10: how high in the top 10 the products a customer really bought next were placed "
                       "(1 = all of them first, 0 = none in the top 10).",
    "found in top 10": "Recall@10: share of the products bought after the cut-off that were in the top 10.",
    "vs bought together": "Ranking quality (NDCG@10) divided by that of 'bought together' (item-kNN) on the same "
                          "customers: above 1.00x is better.",
}


def recommend_active_version() -> str | None:
    """The active recommender version, None before any training (no model is loaded)."""
    return recommend.REGISTRY.active_version(store())


def recommend_metrics() -> dict:
    """The active version's evaluation report (empty when there is none)."""
    versions = recommend.REGISTRY.list(store())
    active = versions[versions["active"]]
    return dict(active.iloc[0]["metrics"]) if len(active) else {}


def evaluation_table(metrics: dict) -> pd.DataFrame:
    """One row per mode and method: ranking quality (NDCG@10), found in top 10 (Recall@10) and the ratio to
    'bought together' (item-kNN), measured on the same split; the columns' technical names are in EVALUATION_HELP."""
    rows = []
    for mode, res in metrics.get("modes", {}).items():
        knn = res.get("item_knn", {}).get("ndcg_at_10") or float("nan")
        for key, label in METHODS.items():
            if key in res:
                rows.append({"mode": mode, "method": label, "ranking quality": res[key]["ndcg_at_10"],
                             "found in top 10": res[key]["recall_at_10"],
                             "vs bought together": res[key]["ndcg_at_10"] / knn, "customers": res.get("n_customers")})
    return pd.DataFrame(rows, columns=["mode", "method", "ranking quality", "found in top 10", "vs bought together",
                                       "customers"])


def model_verdicts(metrics: dict) -> list[tuple[bool, str]]:
    """Per mode: (model wins, sentence), the losing cases named plainly: how much higher (or lower) the model
    placed what customers went on to buy than the simple methods did (the NDCG@10 figures are in the table)."""
    out = []
    for mode, res in metrics.get("modes", {}).items():
        model, knn = res["model"]["ndcg_at_10"], res["item_knn"]["ndcg_at_10"]
        wins = model > knn
        text = (f"{mode.capitalize()}: what customers went on to buy was ranked {_relative(model, knn)} by the "
                "model than by 'bought together' (item-kNN).")
        prev = res.get("previously_bought_popularity")
        if prev is not None:
            beats_prev = model > prev["ndcg_at_10"]
            wins = wins and beats_prev
            text += f" Against 'bought before, then best sellers': {_relative(model, prev['ndcg_at_10'])}."
        if not wins:
            text += " Prefer the simpler method for this mode until more data is in."
        out.append((wins, text))
    return out


def _relative(a: float, b: float) -> str:
    """a against b in words: '12% higher', '3% lower', 'less than 1% higher', 'no higher'."""
    if a == b or not b:
        return "higher" if a > b else "no higher"
    change = a / b - 1
    size = "less than 1%" if abs(change) < 0.005 else f"{abs(change):.0%}"
    return f"{size} {'higher' if change > 0 else 'lower'}"


def recommend_customers() -> list[str]:
    """Customers the active model knows, for the search box."""
    version = recommend_active_version()
    return cache.recommend_model(db_path(), version).customer_ids if version else []


def recommend_products() -> pd.DataFrame:
    """Products the active model knows (product_id, product_name)."""
    version = recommend_active_version()
    return cache.recommend_model(db_path(), version).catalogue() if version else pd.DataFrame()


def purchase_history(customer: str) -> pd.DataFrame:
    """The customer's purchases net of returns."""
    return cache.purchase_history(db_path(), recommend_active_version(), customer)


def customer_recommendations(customer: str, k: int, mode: str) -> tuple[pd.DataFrame, list[dict]]:
    """Top-k with each one's strongest reason, and the full explanations (same order)."""
    version = recommend_active_version()
    top = cache.recommendations(db_path(), version, customer, k, mode)
    explained = cache.recommendation_explanations(db_path(), version, customer,
                                                  tuple(top["product_id"].tolist()), mode)
    top = top.assign(reason=[(e.get("sentences") or [""])[0] for e in explained])
    return top, explained


def recommendation_explanations(customer: str, products: list[str], mode: str | None = None) -> list[dict]:
    """Explanations of chosen products for a customer (mode None: by whether they bought it)."""
    return cache.recommendation_explanations(db_path(), recommend_active_version(), customer, tuple(products), mode)


def also_bought(product: str, k: int = 10) -> pd.DataFrame:
    """Customers who bought this also bought."""
    return cache.also_bought(db_path(), recommend_active_version(), product, k)


def recommended_to(product: str, k: int = 20, mode: str = "discovery") -> pd.DataFrame:
    """Customers who get this product highest."""
    return cache.recommended_to(db_path(), recommend_active_version(), product, k, mode)


def top_k_csv(k: int, exclude_purchased: bool) -> bytes:
    """Every customer's top-k as formula-safe CSV, as `storelens recommend export` writes it."""
    return cache.top_k_csv(db_path(), recommend_active_version(), int(k),
                           "discovery" if exclude_purchased else "replenishment")


def start_recommend_training(config: dict | None = None) -> Job:
    """Train (evaluate, register, activate) a recommender in a background thread; JobBusyError while a job runs."""
    s = store()

    def work(job: Job) -> dict:
        model = recommend.train(s, config, progress=job.update)
        return {"model_version": model.version, **model.metrics}

    return start_job(RECOMMEND_JOB, dict(config or {}), work)


def recommend_job_outcome(job: Job) -> tuple[str, str] | None:
    """What a finished recommender job did, as (level, Markdown-safe sentence); None while it runs or for others."""
    if job.kind != RECOMMEND_JOB or job.running:
        return None
    if job.status == "done":
        r = job.result or {}
        return "success", (f"Trained recommender {plain(r.get('model_version'))} in {duration(job.elapsed)}; "
                           "how it did is below.")
    return ended_unfinished(job)
