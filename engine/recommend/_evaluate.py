"""Time-split evaluation: history before a cut-off, purchases after it; NDCG@10 and Recall@10 per mode for the
model and the simple baselines that are hard to beat on purchase data (popularity, item-kNN, "previously bought +
popularity"), and the validation search that picks the model's mixing weights."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ._data import Interactions
from ._module import HybridScorer
from ._terms import MODES, TERMS

K = 10
BASELINES = {"discovery": ("popularity", "item_knn"),
             "replenishment": ("popularity", "item_knn", "previously_bought_popularity")}


def gram_matrix(inter: Interactions, n_cust: int, n_items: int) -> torch.Tensor:
    """Item × item co-purchase counts of the binary customer × item matrix."""
    import scipy.sparse as sp

    x = sp.csr_matrix((np.ones(len(inter.cust), dtype=np.float32), (inter.cust, inter.item)),
                      shape=(n_cust, n_items))
    return torch.from_numpy((x.T @ x).toarray().astype(np.float32))


def history_matrix(inter: Interactions, rows: np.ndarray, n_items: int, ref: np.datetime64,
                   half_life_days: float | None, alpha: float, count_power: float = 0.0) -> torch.Tensor:
    """History vectors of customers `rows`: orders^count_power × recency decay, divided by (total weight)^alpha."""
    lookup = np.full(int(max(inter.cust.max(initial=-1), rows.max(initial=-1))) + 1, -1, dtype=np.int64)
    lookup[rows] = np.arange(len(rows))
    pos = lookup[inter.cust]
    keep = pos >= 0
    r = pos[keep]
    w = np.power(np.maximum(inter.count[keep], 1.0), count_power)
    if half_life_days:
        age = (ref - inter.last_ts[keep]).astype("timedelta64[s]").astype(float) / 86400.0
        w = w * np.power(0.5, np.maximum(age, 0.0) / half_life_days)
    h = np.zeros((len(rows), n_items), dtype=np.float32)
    np.add.at(h, (r, inter.item[keep]), w)
    total = h.sum(1, keepdims=True)
    return torch.from_numpy(h / np.maximum(total, 1e-12) ** alpha)


def ranking_metrics(scores: torch.Tensor, relevant: list[np.ndarray], exclude: torch.Tensor | None,
                    candidates: torch.Tensor, k: int = K) -> dict[str, float]:
    """Mean NDCG@k and Recall@k (hits / relevant items) over the rows; excluded and non-candidate items never rank."""
    s = scores.clone()
    s[:, ~candidates] = -math.inf
    if exclude is not None:
        s[exclude] = -math.inf
    top = torch.topk(s, k, dim=1).indices.cpu().numpy()
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    ndcg, recall = [], []
    for row, rel in zip(top, relevant):
        hit = np.isin(row, rel)
        ideal = disc[: min(len(rel), k)].sum()
        ndcg.append(float((disc * hit).sum() / ideal))
        recall.append(float(hit.sum() / len(rel)))
    return {"ndcg_at_10": float(np.mean(ndcg)), "recall_at_10": float(np.mean(recall))}


@dataclass
class SplitData:
    """One time split: training interactions and, for evaluated customers, their relevant items per mode."""

    train: Interactions
    gram: torch.Tensor
    popularity: torch.Tensor  # distinct training customers per item
    candidates: torch.Tensor  # bool: items bought before the cut-off
    rows: np.ndarray  # evaluated customers (indices)
    bought: torch.Tensor  # bool (rows × items): bought before the cut-off
    counts: torch.Tensor  # orders per item before the cut-off (rows × items)
    relevant: dict[str, list[np.ndarray]]  # per mode, aligned with rows_mode
    rows_mode: dict[str, np.ndarray]  # positions into rows evaluated in each mode
    ref: np.datetime64


def make_split(train: Interactions, test: Interactions, n_cust: int, n_items: int, ref: np.datetime64,
               max_customers: int | None, seed: int) -> SplitData:
    """Customers with history before the cut-off and purchases after it (discovery: new products only)."""
    gram = gram_matrix(train, n_cust, n_items)
    pop = torch.bincount(torch.from_numpy(train.item), minlength=n_items).float()
    candidates = pop > 0
    has_hist = np.unique(train.cust)
    rows = np.intersect1d(has_hist, np.unique(test.cust))
    if max_customers and len(rows) > max_customers:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_customers, replace=False))
    pos = {int(c): i for i, c in enumerate(rows)}
    bought = np.zeros((len(rows), n_items), dtype=bool)
    counts = np.zeros((len(rows), n_items), dtype=np.float32)
    for c, i, n in zip(train.cust.tolist(), train.item.tolist(), train.count.tolist()):
        if c in pos:
            bought[pos[c], i] = True
            counts[pos[c], i] = n
    cand = candidates.numpy()
    later: dict[int, list[int]] = {}
    for c, i in zip(test.cust.tolist(), test.item.tolist()):
        if c in pos and cand[i]:
            later.setdefault(pos[c], []).append(i)
    relevant: dict[str, list[np.ndarray]] = {m: [] for m in MODES}
    rows_mode: dict[str, list[int]] = {m: [] for m in MODES}
    for r in range(len(rows)):
        items = np.array(sorted(later.get(r, [])), dtype=np.int64)
        if len(items):
            relevant["replenishment"].append(items)
            rows_mode["replenishment"].append(r)
        new = items[~bought[r, items]] if len(items) else items
        if len(new):
            relevant["discovery"].append(new)
            rows_mode["discovery"].append(r)
    return SplitData(train, gram, pop, candidates, rows, torch.from_numpy(bought), torch.from_numpy(counts),
                     relevant, {m: np.array(v, dtype=np.int64) for m, v in rows_mode.items()}, ref)


def baseline_scores(split: SplitData, name: str) -> torch.Tensor:
    """Scores of a baseline for the split's evaluated customers."""
    pop = split.popularity / split.popularity.max().clamp_min(1.0)
    if name == "popularity":
        return pop.expand(len(split.rows), -1).clone()
    if name == "item_knn":
        from ._module import cosine_item_knn

        return split.bought.float() @ cosine_item_knn(split.gram)
    if name == "previously_bought_popularity":
        return split.counts + pop.unsqueeze(0) * 0.5  # own purchases by frequency first, then popular ones
    raise ValueError(name)


def evaluate_scores(split: SplitData, scores: torch.Tensor, mode: str) -> dict[str, float]:
    """NDCG@10 / Recall@10 of `scores` (rows × items) in `mode`."""
    r = torch.from_numpy(split.rows_mode[mode])
    exclude = split.bought[r] if mode == "discovery" else None
    return ranking_metrics(scores[r], split.relevant[mode], exclude, split.candidates)


def normalised_components(scorer: HybridScorer, x: torch.Tensor) -> tuple[list[torch.Tensor], list[float]]:
    """Component score matrices scaled to unit spread (so weight grids mean the same on any data), with the scales."""
    comps, scales = [], []
    for c in scorer.component_scores(x):
        sd = float(c.std()) if c.numel() > 1 else 0.0
        scale = 1.0 / sd if sd > 1e-12 else 0.0
        comps.append(c * scale)
        scales.append(scale)
    return comps, scales


WEIGHT_GRID = (0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def search_weights(split: SplitData, comps: list[torch.Tensor], mode: str, usable: list[bool],
                   passes: int = 3) -> tuple[list[float], float]:
    """Coordinate ascent of the mixing weights on validation NDCG@10, starting from co-purchase alone."""
    w = [1.0] + [0.0] * (len(TERMS) - 1)
    if mode == "discovery":
        usable = usable[:-1] + [False]  # repeat purchase cannot rank anything new
    else:
        w[-1] = 1.0  # replenishment starts from "co-purchase + own repeats" and is refined from there

    def score(weights: list[float]) -> float:
        total = sum(wi * c for wi, c in zip(weights, comps) if wi)
        return evaluate_scores(split, total, mode)["ndcg_at_10"]

    best = score(w)
    for _ in range(passes):
        improved = False
        for t in range(len(TERMS)):
            if not usable[t]:
                continue
            for v in WEIGHT_GRID:
                if v == w[t]:
                    continue
                trial = list(w)
                trial[t] = v
                if not any(trial):
                    continue
                val = score(trial)
                if val > best + 1e-6:
                    best, w, improved = val, trial, True
        if not improved:
            break
    return w, best
