"""Why a product is recommended: Captum attributions of the score to the customer's past items and the product's
features, turned into sentences; counterfactual re-scoring without the top reasons; also-bought counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._terms import MODES

if TYPE_CHECKING:
    import pandas as pd

    from ._model import RecommendModel

TOP_K = 10
MAX_REMOVALS = 25  # greedy search budget for the smallest set of past purchases
FEATURE_GROUPS = ("name_similarity", "category", "price_band", "popularity", "reviews")


class _Ranker:
    """Ranks of one product for one customer under edited histories, re-scored through the linear history terms."""

    def __init__(self, model: "RecommendModel", ci: int, j: int, mode: str) -> None:
        import torch

        self.model, self.ci, self.j, self.mode = model, ci, j, mode
        self.base = model.purchased(ci)
        dev = next(iter(model.scorer.buffers())).device
        self.hist = torch.from_numpy(np.sort(self.base)).to(dev)
        with torch.no_grad():
            self.rows = model.scorer.history_rows(self.hist, mode) if len(self.base) else None

    def ranks(self, drops: list[set[int]]) -> list[tuple[int, float]]:
        """(1-based rank, score) of the product as if each set in `drops` had never been bought (one batch)."""
        import torch

        model, j = self.model, self.j
        with torch.no_grad():
            if self.rows is None:
                s = model.rank_scores(model.history_without(self.ci, drops, self.mode), [self.base] * len(drops),
                                      self.mode)
            else:
                x = model.history_without(self.ci, drops, self.mode)
                xh = x[:, self.hist.cpu()].to(self.hist.device)
                s = model.scorer.score_from_rows(xh, self.rows, self.mode).cpu()
                if self.mode == "discovery":
                    for r, d in enumerate(drops):
                        gone = np.setdiff1d(self.base, np.fromiter(d, dtype=np.int64)) if d else self.base
                        s[r, torch.from_numpy(gone[gone != j])] = -torch.inf
        sj = s[:, j]
        ranks = (s > sj.unsqueeze(1)).sum(1) + 1
        return [(int(r), float(v)) for r, v in zip(ranks, sj)]


def rank_of(model: "RecommendModel", ci: int, j: int, mode: str, drop: set[int] | None = None) -> tuple[int, float]:
    """(1-based rank, score) of item j for the customer, optionally as if `drop` had never been bought."""
    return _Ranker(model, ci, j, mode).ranks([drop or set()])[0]


def attributions(model: "RecommendModel", ci: int, j: int, mode: str) -> dict[str, Any]:
    """Integrated gradients per past item and per product-feature group.

    The score is at most bilinear in (history, features), so along the straight path its gradient is linear and
    4-point Gauss-Legendre integrates it exactly (the convergence delta is rounding only).
    """
    import torch
    from captum.attr import IntegratedGradients

    scorer = model.scorer
    dev = next(iter(scorer.buffers())).device
    x = model.history_vectors(np.array([ci]), mode=mode).to(dev)
    items = torch.tensor([j], device=dev)
    f = scorer.item_features(items)
    ig = IntegratedGradients(scorer)
    (ax, af), delta = ig.attribute((x, f), baselines=(torch.zeros_like(x), torch.zeros_like(f)),
                                   additional_forward_args=(items, mode), n_steps=4, method="gausslegendre",
                                   return_convergence_delta=True)
    blocks = scorer.split_features(af)
    groups = {g: float(b.sum()) for g, b in zip(FEATURE_GROUPS, blocks)}
    hist = model.purchased(ci)
    past = {int(i): float(ax[0, i]) for i in hist}
    with torch.no_grad():
        score = float(scorer(x, f, items, mode)[0])
    return {"past": past, "features": groups, "score": score, "delta": float(delta.abs().max())}


def _share(part: float, total: float) -> str:
    """'(62% of the score)' style share, or '(most of the score)' when above half."""
    if total <= 0:
        return ""
    frac = part / total
    return " (most of the score)" if frac > 0.5 else f" ({frac:.0%} of the score)"


def explain(model: "RecommendModel", customer_id: str, product_id: str, mode: str | None = None) -> dict[str, Any]:
    """The contract's explanation object plus sentences, the counterfactual and also-bought counts."""
    ci, j = model.customer_index(customer_id), model.product_index(product_id)
    hist = model.purchased(ci)
    if mode is None:
        mode = "replenishment" if j in set(hist.tolist()) else "discovery"
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    names = model.meta["product_names"]
    ranker = _Ranker(model, ci, j, mode)
    rank, score = ranker.ranks([set()])[0]
    out: dict[str, Any] = {"customer_id": str(customer_id), "product_id": str(product_id),
                           "product_name": names[j], "mode": mode, "rank": rank, "score": score}
    if len(hist) == 0:
        out.update(reasons=[{"feature": "popularity", "value": "cold start", "attribution": score}],
                   sentences=["no purchase history: popular products (in their first category when known)"],
                   counterfactual=None, also_bought=also_bought(model, product_id).to_dict("records"),
                   convergence_delta=0.0)
        return out
    att = attributions(model, ci, j, mode)
    past = sorted(att["past"].items(), key=lambda kv: -kv[1])
    pos_total = sum(v for v in att["past"].values() if v > 0) + sum(v for v in att["features"].values() if v > 0)
    reasons = [{"feature": "past_purchase", "value": f"{names[i]} ({model.meta['product_ids'][i]})",
                "product_id": model.meta["product_ids"][i], "attribution": v} for i, v in past if abs(v) > 1e-9]
    reasons += [{"feature": g, "value": _feature_value(model, ci, j, g), "attribution": v}
                for g, v in att["features"].items() if abs(v) > 1e-9]
    reasons.sort(key=lambda r: -r["attribution"])
    out.update(reasons=reasons, sentences=_sentences(model, ci, j, past, att["features"], pos_total),
               convergence_delta=att["delta"])
    out["counterfactual"] = counterfactual(model, ranker, [i for i, v in past if v > 0], rank)
    out["also_bought"] = also_bought(model, product_id).to_dict("records")
    return out


def _feature_value(model: "RecommendModel", ci: int, j: int, group: str) -> str:
    """What the feature is for this product, in words."""
    m = model.meta
    if group == "category":
        code = m["category_codes"][j]
        return m["categories"][code] if code >= 0 else "none"
    if group == "price_band":
        return _band_words(model, j)
    if group == "popularity":
        return f"bought by {int(model._csr.getcol(j).nnz)} customers"
    if group == "reviews":
        return _review_words(model, j) or "no reviews"
    return m["product_names"][j]


def _band_words(model: "RecommendModel", j: int) -> str:
    """'mid (2.10-4.95)' for the product's price band."""
    from ._features import BAND_NAMES

    b, e = model.meta["band"][j], model.meta["band_edges"]
    return "unknown" if b < 0 else f"{BAND_NAMES[b]} ({e[b]:.2f}-{e[b + 1]:.2f})"


def _review_words(model: "RecommendModel", j: int) -> str:
    """'86% positive reviews, n=120' (empty when unreviewed)."""
    share, n = model.meta["positive_share"][j], model.meta["n_reviews"][j]
    return "" if share is None or not n else f"{share:.0%} positive reviews, n={n}"


def _sentences(model: "RecommendModel", ci: int, j: int, past: list[tuple[int, float]],
               features: dict[str, float], total: float) -> list[str]:
    """Plain sentences, strongest reason first."""
    m, names = model.meta, model.meta["product_names"]
    out: list[tuple[float, str]] = []
    top = [(i, v) for i, v in past if v > 0][:3]
    if top:
        # name the smallest set of past items that carries most of their positive weight
        pos_sum = sum(v for _, v in past if v > 0)
        chosen, acc = [], 0.0
        for i, v in top:
            chosen.append((i, v))
            acc += v
            if acc >= 0.6 * pos_sum:
                break
        label = " and ".join(names[i] + (" before" if i == j else "") for i, _ in chosen)
        out.append((acc, f"bought {label}{_share(acc, total)}"))
    hist = model.purchased(ci)
    if features.get("category", 0) > 0:
        code = m["category_codes"][j]
        same = int(sum(m["category_codes"][i] == code for i in hist))
        out.append((features["category"], f"same category ({m['categories'][code]}) as {same} of their purchases"))
    if features.get("price_band", 0) > 0:
        b = m["band"][j]
        same = int(sum(m["band"][i] == b for i in hist))
        words = f"in their usual price band, {_band_words(model, j)}: {same} of their purchases"
        out.append((features["price_band"], words))
    if features.get("name_similarity", 0) > 0:
        out.append((features["name_similarity"], "its name is similar to products they bought"))
    if features.get("popularity", 0) > 0:
        out.append((features["popularity"], f"popular: {_feature_value(model, ci, j, 'popularity')}"))
    words = _review_words(model, j)
    if words and features.get("reviews", 0) != 0:
        out.append((abs(features["reviews"]), words))
    return [s for _, s in sorted(out, key=lambda t: -t[0])]


def counterfactual(model: "RecommendModel", ranker: _Ranker, ranked_past: list[int],
                   rank: int) -> dict[str, Any] | None:
    """Re-score without the top-attributed past item; then the smallest set (greedy, pruned) leaving the top 10."""
    if not ranked_past:
        return None
    names = model.meta["product_names"]
    first = ranked_past[0]
    new_rank, _ = ranker.ranks([{first}])[0]
    out: dict[str, Any] = {
        "removed_product_id": model.meta["product_ids"][first], "removed_product_name": names[first],
        "rank_before": rank, "rank_after": new_rank,
        "sentence": f"without {names[first]} this {'drops' if new_rank > rank else 'stays'} from #{rank} to "
                    f"#{new_rank}" if new_rank != rank else f"without {names[first]} it stays at #{rank}",
    }
    if rank > TOP_K:
        out["smallest_set"] = None
        return out
    budget = ranked_past[:MAX_REMOVALS]
    prefixes = ranker.ranks([set(budget[:n]) for n in range(1, len(budget) + 1)])
    first_out = next((n for n, (r, _) in enumerate(prefixes, start=1) if r > TOP_K), None)
    if first_out is None:
        out["smallest_set"] = None
        out["smallest_set_sentence"] = (f"removing its {len(budget)} most-attributed past purchases still leaves it "
                                        f"in the top {TOP_K} (#{prefixes[-1][0]})")
        return out
    chosen, after = budget[:first_out], prefixes[first_out - 1][0]
    while len(chosen) > 1:  # prune: drop the member whose removal keeps it out of the top 10 by the most
        trials = ranker.ranks([set(chosen) - {i} for i in chosen])
        best = max(range(len(chosen)), key=lambda t: trials[t][0])
        if trials[best][0] <= TOP_K:
            break
        after = trials[best][0]
        chosen = [c for t, c in enumerate(chosen) if t != best]
    out["smallest_set"] = {"product_ids": [model.meta["product_ids"][i] for i in chosen],
                           "product_names": [names[i] for i in chosen], "rank_after": after}
    out["smallest_set_sentence"] = (f"without {' and '.join(names[i] for i in chosen)} it leaves the top {TOP_K} "
                                    f"(#{after})")
    return out


def also_bought(model: "RecommendModel", product_id: str, k: int = 10) -> "pd.DataFrame":
    """'Customers who bought this also bought': other products by number of shared customers."""
    import pandas as pd

    j = model.product_index(product_id)
    csr = model._csr
    buyers = csr.getcol(j).nonzero()[0]
    counts = np.asarray((csr[buyers] > 0).sum(0)).ravel()
    counts[j] = 0
    order = [i for i in np.argsort(-counts, kind="stable")[:k] if counts[i] > 0]
    return pd.DataFrame({"product_id": [model.meta["product_ids"][i] for i in order],
                         "product_name": [model.meta["product_names"][i] for i in order],
                         "customers": [int(counts[i]) for i in order]},
                        columns=["product_id", "product_name", "customers"])


def recommended_to(model: "RecommendModel", product_id: str, k: int = 20, mode: str = "discovery",
                   shortlist: int = 100) -> "pd.DataFrame":
    """Customers who get this product highest: the `shortlist` best scores for it, ranked exactly, best first."""
    import pandas as pd
    import torch

    j = model.product_index(product_id)
    csr = model._csr
    eligible = np.diff(csr.indptr) > 0  # customers with a history (cold-start ones get popular lists)
    if mode == "discovery":
        eligible[csr.getcol(j).nonzero()[0]] = False
    cand = np.flatnonzero(eligible)
    scorer = model.scorer
    dev = next(iter(scorer.buffers())).device
    rows = []
    with torch.no_grad():
        for start in range(0, len(cand), 1024):
            part = cand[start:start + 1024]
            x = model.history_vectors(part, mode=mode).to(dev)
            items = torch.full((len(part),), j, dtype=torch.long, device=dev)
            col = scorer(x, scorer.item_features(items), items, mode).cpu().numpy()  # this product's column only
            rows.extend(zip(part.tolist(), col.tolist()))
    rows.sort(key=lambda t: -t[1])
    best = np.array([c for c, _ in rows[:shortlist]], dtype=np.int64)
    out = []
    if len(best):
        bought = [model.purchased(int(c)) for c in best]
        scores = model.rank_scores(model.history_vectors(best, mode=mode), bought, mode)
        sj = scores[:, j]
        ranks = (scores > sj.unsqueeze(1)).sum(1) + 1
        out = [(model.meta["customer_ids"][c], int(r), float(v)) for c, r, v in zip(best, ranks, sj)]
    out.sort(key=lambda t: (t[1], -t[2]))
    return pd.DataFrame(out[:k], columns=["customer_id", "rank", "score"])
