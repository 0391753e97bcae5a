"""The recommend family: fit (features, validation search, time-split evaluation against baselines, final refit),
predict top-K per customer in either mode, cold start, save/load with checksummed artefacts."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.models import (
    InsufficientDataError,
    ModelFamily,
    Progress,
    no_progress,
    pick_device,
    read_artefact,
    read_meta,
    write_meta,
)

from ._data import Columns, Interactions
from ._errors import UnknownCustomerError, UnknownProductError
from ._terms import MODES, TERMS

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from engine.store import Store

    from ._module import HybridScorer

FAMILY = "recommend"
MIN_INTERACTIONS = 20
ARRAYS = "arrays.npz"
CATALOGUE = "catalogue.json"


@dataclass
class RecommendConfig:
    """Fit settings; `cutoff` (ISO time) overrides the time split that holds out the last `test_fraction`."""

    seed: int = 0
    test_fraction: float = 0.15
    cutoff: str | None = None
    use_text: bool = True
    lambda_grid: tuple[float, ...] = (0.25, 1.0, 4.0)  # EASE L2, in units of the mean item purchase count
    # (recency half-life in days or None, alpha: history divided by total^alpha, power of the order count)
    recency_grid: tuple[tuple[float | None, float, float], ...] = (
        (None, 1.0, 0.0), (None, 0.5, 0.0), (120.0, 0.5, 0.0), (45.0, 0.5, 0.0), (120.0, 0.5, 0.5),
        (120.0, 0.5, 1.0), (45.0, 0.5, 1.0), (None, 0.5, 1.0), (20.0, 0.5, 1.0))
    max_eval_customers: int | None = 2000
    device: str | None = None
    columns: Columns = field(default_factory=Columns)

    @classmethod
    def from_any(cls, config: Any) -> "RecommendConfig":
        """Accept None, a dict of fields or a RecommendConfig."""
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        if isinstance(config, dict):
            known = {k: v for k, v in config.items() if k in cls.__dataclass_fields__}
            if "columns" in known and isinstance(known["columns"], dict):
                known["columns"] = Columns(**known["columns"])
            return cls(**known)
        raise TypeError(f"recommend config must be a dict or RecommendConfig, not {type(config).__name__}")


class RecommendModel(ModelFamily):
    """Top-K products per customer from purchase history and item features, with exact attributions."""

    family = FAMILY

    def __init__(self, config: Any = None) -> None:
        self.config = RecommendConfig.from_any(config)
        self._metrics: dict[str, Any] = {}
        self.meta: dict[str, Any] = {}
        self._scorer: "HybridScorer | None" = None
        self._csr = None

    # ------------------------------------------------------------------ fitting

    def fit(self, store: "Store", config: Any = None, progress: Progress = no_progress) -> dict[str, Any]:
        """Evaluate on a time split (weights picked on an earlier validation split), then refit on all data."""
        import pandas as pd
        import torch

        from . import _data
        from ._evaluate import BASELINES, baseline_scores, evaluate_scores, make_split
        from ._features import build_features

        if config is not None:
            self.config = RecommendConfig.from_any(config)
        cfg = self.config
        torch.manual_seed(cfg.seed)
        device = str(pick_device(cfg.device))  # GPU when present unless the config names a device
        started = time.perf_counter()
        progress(0.0, "reading orders")
        events = _data.read_events(store, cfg.columns)
        events = events[events["product_id"].isin(events.loc[events["qty"] > 0, "product_id"])]
        if int((events["qty"] > 0).sum()) < MIN_INTERACTIONS or events["customer_id"].nunique() < 2:
            raise InsufficientDataError(
                f"too few purchases by known customers to recommend ({int((events['qty'] > 0).sum())} order lines "
                f"with a customer id; at least {MIN_INTERACTIONS} are needed)")
        catalogue = _data.read_catalogue(store, cfg.columns)
        catalogue = catalogue[catalogue["product_id"].isin(events["product_id"])].reset_index(drop=True)
        sentiment = _data.read_review_sentiment(store)
        known = _data.read_customers(store, cfg.columns)  # cold-start customers (nothing kept) included
        customers = sorted(set(known["customer_id"]) | set(events["customer_id"]))
        first_cat = {c: f for c, f in zip(known["customer_id"], known["first_category"]) if pd.notna(f)}
        cust_index = {c: i for i, c in enumerate(customers)}
        item_index = {p: i for i, p in enumerate(catalogue["product_id"])}
        progress(0.05, "embedding product names" if cfg.use_text else "building item features")
        feats = build_features(catalogue, sentiment, cfg.use_text, device=device)
        self._set_catalogue(catalogue, customers, feats, first_cat)

        cutoff = np.datetime64(cfg.cutoff, "s") if cfg.cutoff else _data.default_cutoff(events, cfg.test_fraction)
        before = events[events["ts"] < cutoff]
        if before.empty or (events["ts"] >= cutoff).sum() == 0:
            raise InsufficientDataError("the orders span too short a time to hold out purchases after a cut-off")
        vcut = _data.default_cutoff(before, cfg.test_fraction)
        n_c, n_i = len(customers), len(item_index)

        def split(train_end: np.datetime64, test_end: np.datetime64 | None) -> Any:
            tr = _data.net_interactions(events, cust_index, item_index, end=train_end)
            te = _data.net_interactions(events, cust_index, item_index, start=train_end, end=test_end)
            return make_split(tr, te, n_c, n_i, train_end, cfg.max_eval_customers, cfg.seed)

        progress(0.25, "choosing the model's settings on a validation split")
        val = split(vcut, cutoff)
        if not len(val.rows_mode["discovery"]):
            raise InsufficientDataError(
                "no customer bought new products both before and after the validation cut-off; more order "
                "history is needed to tune and evaluate recommendations honestly")
        params = self._search(val, feats, device, progress)

        progress(0.6, "evaluating on purchases after the cut-off")
        test = split(cutoff, None)
        if not len(test.rows_mode["discovery"]):
            raise InsufficientDataError("no customer with earlier history bought new products after the cut-off")
        scorer = self._build_scorer(test.train, test.gram, feats, params, test.ref, device)
        modes: dict[str, Any] = {}
        for mode in MODES:
            x = self._hist(test.train, test.rows, params, test.ref, mode).to(device)
            res = {"model": evaluate_scores(test, scorer.score_all(x, mode).cpu(), mode)}
            for b in BASELINES[mode]:
                res[b] = evaluate_scores(test, baseline_scores(test, b), mode)
            res["n_customers"] = len(test.rows_mode[mode])
            modes[mode] = res

        progress(0.8, "refitting on all orders")
        end = np.datetime64(events["ts"].max(), "s") + np.timedelta64(1, "s")
        full = _data.net_interactions(events, cust_index, item_index)
        from ._evaluate import gram_matrix

        gram = gram_matrix(full, n_c, n_i)
        self._scorer = self._build_scorer(full, gram, feats, params, end, device)
        self._set_history(full, end)
        self._metrics = self._report(modes, params, cutoff, vcut, n_c, n_i, len(full.cust),
                                     time.perf_counter() - started, device)
        progress(1.0, "done")
        return self._metrics

    def _search(self, val: Any, feats: Any, device: str, progress: Progress) -> dict[str, Any]:
        """EASE strength and each mode's history recency on validation NDCG, then mixing weights per mode."""
        from ._evaluate import evaluate_scores, normalised_components, search_weights

        cfg = self.config
        mean_diag = float(val.gram.diagonal().mean().clamp_min(1.0))
        best: tuple[float, Any] = (-1.0, None)
        base = {"weights": {m: [1.0] + [0.0] * 6 for m in MODES}}
        for lam in cfg.lambda_grid:
            p = dict(base, lam=lam * mean_diag)
            scorer = self._build_scorer(val.train, val.gram, feats, p, val.ref, device, unit_scales=True)
            found: dict[str, tuple[float, dict[str, Any]]] = {m: (-1.0, {}) for m in MODES}
            for hl, alpha, power in cfg.recency_grid:
                h = {"half_life_days": hl, "alpha": alpha, "count_power": power}
                x = history_for(val.train, val.rows, len(self.meta["product_ids"]), h, val.ref).to(device)
                co = x @ scorer.ease
                co = co / co.std().clamp_min(1e-12)
                own = x / x.std().clamp_min(1e-12)
                # default mixing: co-purchase alone (discovery); co-purchase + own repeats (replenishment)
                for mode, sc in (("discovery", co), ("replenishment", co + own)):
                    ndcg = evaluate_scores(val, sc.cpu(), mode)["ndcg_at_10"]
                    if ndcg > found[mode][0]:
                        found[mode] = (ndcg, h)
            total = sum(v for v, _ in found.values())
            if total > best[0]:
                best = (total, (dict(p, history={m: h for m, (_, h) in found.items()}), scorer))
        p, scorer = best[1]
        progress(0.4, "choosing the mixing weights")
        usable = [True, feats.text.shape[1] > 0, len(feats.categories) > 0, bool((feats.band >= 0).any()), True,
                  bool(feats.n_reviews.sum() > 0), True]
        weights, val_ndcg = {}, {}
        for mode in MODES:
            comps, _ = normalised_components(scorer, self._hist(val.train, val.rows, p, val.ref, mode).to(device))
            weights[mode], val_ndcg[mode] = search_weights(val, [c.cpu() for c in comps], mode, usable)
        return dict(p, weights=weights, validation_ndcg_at_10=val_ndcg)

    def _hist(self, inter: Interactions, rows: np.ndarray, params: dict[str, Any], ref: np.datetime64,
              mode: str) -> "torch.Tensor":
        """History vectors of customers `rows` under the mode's chosen recency settings."""
        return history_for(inter, rows, len(self.meta["product_ids"]), params["history"][mode], ref)

    def _build_scorer(self, inter: Interactions, gram: "torch.Tensor", feats: Any, params: dict[str, Any],
                      ref: np.datetime64, device: str, unit_scales: bool = False) -> "HybridScorer":
        """EASE on this window's Gram matrix + the features, with weights rescaled to this window's spreads."""
        import torch

        from ._evaluate import normalised_components
        from ._module import HybridScorer, fit_ease

        n = gram.shape[0]
        pop = torch.bincount(torch.from_numpy(inter.item), minlength=n).float()
        ease = fit_ease(gram.to(device), params["lam"])
        scorer = HybridScorer(
            ease, torch.from_numpy(feats.text),
            torch.from_numpy(feats.one_hot(feats.category_codes, len(feats.categories))),
            torch.from_numpy(feats.one_hot(feats.band, 5 if (feats.band >= 0).any() else 0)),
            pop / pop.max().clamp_min(1.0), torch.from_numpy(feats.sentiment_feature()).float(),
            params["weights"]).to(device)
        if unit_scales:
            return scorer
        rows = np.unique(inter.cust)
        if len(rows) > 1000:
            rows = np.sort(np.random.default_rng(self.config.seed).choice(rows, 1000, replace=False))
        weights = {}
        for m in MODES:
            _, scales = normalised_components(scorer, self._hist(inter, rows, params, ref, m).to(device))
            weights[m] = torch.tensor([w * s for w, s in zip(params["weights"][m], scales)])
        scorer.weights = weights
        self.meta["params"] = {k: v for k, v in params.items() if k != "weights"}
        self.meta["params"]["weights"] = params["weights"]
        self.meta["effective_weights"] = {m: scorer.weights[m].tolist() for m in MODES}
        return scorer

    def _report(self, modes: dict[str, Any], params: dict[str, Any], cutoff: np.datetime64, vcut: np.datetime64,
                n_c: int, n_i: int, n_inter: int, seconds: float, device: str) -> dict[str, Any]:
        """The recorded metrics: per mode the model beside each baseline, and a plain verdict."""
        disc = modes["discovery"]
        beats = {m: modes[m]["model"]["ndcg_at_10"] > modes[m]["item_knn"]["ndcg_at_10"] for m in MODES}
        strongest = max((b for b in disc if b not in ("model", "n_customers")), key=lambda b: disc[b]["ndcg_at_10"])
        verdicts = []
        for m in MODES:
            ratio = modes[m]["model"]["ndcg_at_10"] / max(modes[m]["item_knn"]["ndcg_at_10"], 1e-12)
            verdicts.append(f"{m}: the model {'beats' if beats[m] else 'does NOT beat'} item-kNN "
                            f"(NDCG@10 {modes[m]['model']['ndcg_at_10']:.4f} vs "
                            f"{modes[m]['item_knn']['ndcg_at_10']:.4f}, {ratio:.2f}x)")
        if "previously_bought_popularity" in modes["replenishment"]:
            r = modes["replenishment"]
            pb = r["previously_bought_popularity"]["ndcg_at_10"]
            verdicts.append(f"replenishment: the model {'beats' if r['model']['ndcg_at_10'] > pb else 'does NOT beat'}"
                            f" 'previously bought + popularity' ({r['model']['ndcg_at_10']:.4f} vs {pb:.4f})")
        return {
            "ndcg_at_10": disc["model"]["ndcg_at_10"], "recall_at_10": disc["model"]["recall_at_10"],
            "baseline_ndcg_at_10": disc[strongest]["ndcg_at_10"], "baseline_name": strongest,
            "beats_item_knn": beats, "verdict": "; ".join(verdicts), "modes": modes,
            "cutoff": str(cutoff), "validation_cutoff": str(vcut), "n_customers": n_c, "n_items": n_i,
            "n_interactions": n_inter, "seconds": round(seconds, 2), "device": device,
            "params": {"lam": params["lam"], "history": params["history"],
                       "weights": {m: dict(zip(TERMS, params["weights"][m])) for m in MODES},
                       "validation_ndcg_at_10": params.get("validation_ndcg_at_10")},
        }

    def _set_catalogue(self, catalogue: "pd.DataFrame", customers: list[str], feats: Any,
                       first_cat: dict[str, str]) -> None:
        """Keep ids, names and features the served model and its explanations need."""
        import pandas as pd

        self.meta.update(
            product_ids=catalogue["product_id"].astype(str).tolist(),
            product_names=[str(n) if pd.notna(n) else str(p)
                           for n, p in zip(catalogue["product_name"], catalogue["product_id"])],
            categories=feats.categories, category_codes=feats.category_codes.tolist(),
            band=feats.band.tolist(), band_edges=[float(e) for e in feats.band_edges],
            positive_share=[float(s) if pd.notna(s) else None for s in feats.positive_share],
            n_reviews=[int(n) for n in feats.n_reviews], customer_ids=customers,
            first_category=first_cat, config=_jsonable(asdict(self.config)),
        )
        self._index_maps()

    def _index_maps(self) -> None:
        """Id → index lookups."""
        self._item_idx = {p: i for i, p in enumerate(self.meta["product_ids"])}
        self._cust_idx = {c: i for i, c in enumerate(self.meta["customer_ids"])}

    def _set_history(self, inter: Interactions, ref: np.datetime64) -> None:
        """Every customer's purchases (served histories) and the time recency is measured from."""
        import scipy.sparse as sp

        self._hist_arrays = {"cust": inter.cust, "item": inter.item, "count": inter.count,
                             "last": inter.last_ts.astype("datetime64[s]").astype(np.int64)}
        self.meta["ref"] = str(ref)
        n_c, n_i = len(self.meta["customer_ids"]), len(self.meta["product_ids"])
        self._csr = sp.csr_matrix((inter.count, (inter.cust, inter.item)), shape=(n_c, n_i))
        self._inter = inter

    # ------------------------------------------------------------------ serving

    @property
    def metrics(self) -> dict[str, Any]:
        """The fit's report (time-split figures beside baselines)."""
        return self._metrics

    @property
    def scorer(self) -> "HybridScorer":
        """The torch module (for Captum)."""
        if self._scorer is None:
            raise RuntimeError("the recommender is not fitted")
        return self._scorer

    @property
    def customer_ids(self) -> list[str]:
        """Customers the model knows."""
        return list(self.meta["customer_ids"])

    @property
    def product_ids(self) -> list[str]:
        """Products the model knows."""
        return list(self.meta["product_ids"])

    def customer_index(self, customer_id: str) -> int:
        """Index of a customer, or UnknownCustomerError."""
        try:
            return self._cust_idx[str(customer_id)]
        except KeyError:
            raise UnknownCustomerError(f"unknown customer {customer_id!r}: no orders from this customer in the "
                                       "data the recommender was trained on") from None

    def product_index(self, product_id: str) -> int:
        """Index of a product, or UnknownProductError."""
        try:
            return self._item_idx[str(product_id)]
        except KeyError:
            raise UnknownProductError(f"unknown product {product_id!r}: never ordered in the data the recommender "
                                      "was trained on") from None

    def product_name(self, i: int) -> str:
        """Display name of item index i."""
        return self.meta["product_names"][i]

    def history_vectors(self, rows: np.ndarray, mode: str = "discovery") -> "torch.Tensor":
        """History vectors of customers `rows` for `mode`."""
        inter = self._inter
        mine = np.isin(inter.cust, rows)
        inter = Interactions(inter.cust[mine], inter.item[mine], inter.count[mine], inter.last_ts[mine])
        return self._hist(inter, rows, self.meta["params"], np.datetime64(self.meta["ref"], "s"), mode)

    def history_without(self, ci: int, drops: list[set[int]], mode: str = "discovery") -> "torch.Tensor":
        """One history vector of customer `ci` per set in `drops`, as if those items had never been bought."""
        inter = self._inter
        mine = np.flatnonzero(inter.cust == ci)
        keep = [mine[~np.isin(inter.item[mine], list(d))] if d else mine for d in drops]
        idx = np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)
        rows = np.repeat(np.arange(len(drops)), [len(k) for k in keep])
        fake = Interactions(rows, inter.item[idx], inter.count[idx], inter.last_ts[idx])
        return self._hist(fake, np.arange(len(drops)), self.meta["params"], np.datetime64(self.meta["ref"], "s"),
                          mode)

    def history(self, customer_id: str) -> "pd.DataFrame":
        """What a customer bought, net of returns (product_id, product_name, orders, last_purchase), latest first."""
        import pandas as pd

        ci = self.customer_index(customer_id)
        mine = self._inter.cust == ci
        items = self._inter.item[mine]
        df = pd.DataFrame({"product_id": [self.meta["product_ids"][i] for i in items],
                           "product_name": [self.meta["product_names"][i] for i in items],
                           "orders": self._inter.count[mine].astype(int),
                           "last_purchase": pd.to_datetime(self._inter.last_ts[mine])})
        return df.sort_values(["last_purchase", "product_id"], ascending=[False, True]).reset_index(drop=True)

    def catalogue(self) -> "pd.DataFrame":
        """Products the model knows (product_id, product_name), for pickers."""
        import pandas as pd

        return pd.DataFrame({"product_id": self.meta["product_ids"], "product_name": self.meta["product_names"]})

    def purchased(self, ci: int) -> np.ndarray:
        """Item indices the customer bought (net of returns)."""
        row = self._csr.getrow(ci)
        return row.indices[row.data > 0]

    def rank_scores(self, x: "torch.Tensor", bought: list[np.ndarray], mode: str) -> "torch.Tensor":
        """Scores for ranking: discovery sets already-bought products to -inf."""
        import torch

        s = self.scorer.score_all(x.to(next(iter(self.scorer.buffers())).device), mode).cpu()
        if mode == "discovery":
            for r, items in enumerate(bought):
                s[r, torch.from_numpy(items)] = -torch.inf
        return s

    def popular(self, category: str | None = None) -> np.ndarray:
        """Item indices by popularity, within a category when given (cold start)."""
        pop = self.scorer.pop.cpu().numpy()
        order = np.argsort(-pop, kind="stable")
        if category is not None and category in self.meta["categories"]:
            code = self.meta["categories"].index(category)
            codes = np.asarray(self.meta["category_codes"])
            in_cat = order[codes[order] == code]
            return np.concatenate([in_cat, order[codes[order] != code]])
        return order

    def recommend(self, customers: list[str], k: int = 10, mode: str = "discovery") -> "pd.DataFrame":
        """Top-k per customer (customer_id, rank, product_id, score, product_name, cold_start)."""
        import pandas as pd

        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        idx = np.array([self.customer_index(c) for c in customers], dtype=np.int64)
        frames = []
        for start in range(0, len(idx), 256):
            rows = idx[start:start + 256]
            bought = [self.purchased(int(c)) for c in rows]
            scores = self.rank_scores(self.history_vectors(rows, mode=mode), bought, mode)
            kk = min(k, scores.shape[1])
            top = scores.topk(kk, dim=1)
            for r, c in enumerate(rows):
                cid = self.meta["customer_ids"][c]
                if len(bought[r]) == 0:  # cold start: popular in the customer's first category, else store-wide
                    items = self.popular(self.meta["first_category"].get(cid))[:kk]
                    vals, cold = self.scorer.pop.cpu().numpy()[items], True
                else:
                    items, vals, cold = top.indices[r].numpy(), top.values[r].numpy(), False
                    ok = np.isfinite(vals)
                    items, vals = items[ok], vals[ok]
                frames.append(pd.DataFrame({
                    "customer_id": cid, "rank": np.arange(1, len(items) + 1), "product_id":
                    [self.meta["product_ids"][i] for i in items], "score": vals.astype(float),
                    "product_name": [self.meta["product_names"][i] for i in items], "cold_start": cold}))
        cols = ["customer_id", "rank", "product_id", "score", "product_name", "cold_start"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

    def predict(self, inputs: Any) -> "pd.DataFrame":
        """Top-K for customers: a customer id, a list of ids, or {"customers", "k", "mode"}."""
        if isinstance(inputs, dict):
            return self.recommend([str(c) for c in inputs["customers"]], int(inputs.get("k", 10)),
                                  inputs.get("mode", "discovery"))
        customers = [inputs] if isinstance(inputs, str) else [str(c) for c in inputs]
        return self.recommend(customers)

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> Path:
        """Write arrays, catalogue and `recommend.json` (last, with checksums)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        s = self.scorer
        arrays = folder / ARRAYS
        with open(arrays, "wb") as fh:
            np.savez(fh, ease=s.ease.cpu().numpy(), text=s.text.cpu().numpy(), cat=s.cat.cpu().numpy(),
                     band=s.band.cpu().numpy(), pop=s.pop.cpu().numpy(), sent=s.sent.cpu().numpy(),
                     **{f"hist_{k}": v for k, v in self._hist_arrays.items()})
        catalogue = folder / CATALOGUE
        catalogue.write_text(json.dumps(self.meta, default=str), encoding="utf-8")
        write_meta(folder, FAMILY, {"version": self.version, "metrics": self._metrics,
                                    "weights": {m: s.weights[m].tolist() for m in MODES}}, [arrays, catalogue])
        return folder

    @classmethod
    def load(cls, path: str | Path) -> "RecommendModel":
        """Restore a saved model; a missing or corrupt file raises ModelLoadError naming it."""
        import torch

        from ._module import HybridScorer

        folder = Path(path)
        meta = read_meta(folder, FAMILY)
        catalogue = read_artefact(folder, FAMILY, CATALOGUE, lambda f: json.loads(f.read_text(encoding="utf-8")))
        a = read_artefact(folder, FAMILY, ARRAYS, _arrays)
        model = cls(catalogue.get("config"))
        model.meta = catalogue
        model._metrics = meta.get("metrics", {})
        model.version = meta.get("version")
        model.path = folder
        model._scorer = HybridScorer(*(torch.from_numpy(a[k]) for k in ("ease", "text", "cat", "band", "pop", "sent")),
                                     meta["weights"])
        model._index_maps()
        inter = Interactions(a["hist_cust"], a["hist_item"], a["hist_count"], a["hist_last"].astype("datetime64[s]"))
        model._set_history(inter, np.datetime64(catalogue["ref"], "s"))
        return model


def history_for(inter: Interactions, rows: np.ndarray, n_items: int, h: dict[str, Any],
                ref: np.datetime64) -> "torch.Tensor":
    """History vectors under one recency setting {half_life_days, alpha, count_power}."""
    from ._evaluate import history_matrix

    return history_matrix(inter, rows, n_items, ref, h["half_life_days"], h["alpha"], h["count_power"])


def _jsonable(x: Any) -> Any:
    """Dataclass dicts with tuples → JSON-friendly lists."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


def _arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array of an .npz artefact, read whole (the file closes before the model is used)."""
    with np.load(path) as z:
        return {k: z[k] for k in z.files}
