"""The segments model family: learned segments with plain names, the RFM reference view, a calibrated churn risk
backtested against RFM baselines in the same run, and per-customer reasons, stored as one registry version."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.models import (
    Engine,
    InsufficientDataError,
    ModelFamily,
    ModelLoadError,
    Progress,
    Registry,
    map_blocks,
    no_progress,
    pick_device,
    read_artefact,
    read_meta,
    write_meta,
)

from . import _churn, _embedding, _explain, _naming
from ._config import SegmentConfig
from ._features import (
    FeatureSpec,
    availability,
    churn_labels,
    customer_features,
    feature_spec,
)
from ._prep import Preprocessor
from ._rfm import RFM_DESCRIPTIONS, rfm_scores

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

FAMILY = "segments"
RAY_BLOCK = 2048  # most customers per block on Ray
PREDICT_COLUMNS = ["customer_id", "segment", "segment_id", "rfm_segment", "r_score", "f_score", "m_score",
                   "churn_risk", "x", "y"]


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run the small torch and scikit-learn models on one thread: at this size threads only wait on each other
    (several times slower on a busy 2-core machine), and one thread also fixes the summation order."""
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def _days_between(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400.0


class SegmentsModel(ModelFamily):
    """Fit on a store; `predict(features)` gives each customer's segment, RFM segment, churn risk and map point."""

    family: ClassVar[str] = FAMILY

    def __init__(self, config: SegmentConfig | None = None) -> None:
        self.config = config or SegmentConfig()
        self.meta: dict[str, Any] = {}
        self.spec: FeatureSpec | None = None
        self.seg_prep: Preprocessor | None = None
        self.autoencoder: Any = None
        self.clusters: _embedding.Clusters | None = None
        self.segment_names: list[tuple[str, str]] = []
        self.churn_prep: Preprocessor | None = None
        self.classifier: Any = None
        self.calibrator: _churn.Calibrator | None = None
        self.explain_baseline: np.ndarray | None = None
        self.customers: "pd.DataFrame | None" = None  # scored customers as of the fit (features + predictions)
        self.ray_workers: int | None = None  # the Ray pool that scored them, when the fit ran on Ray

    # ------------------------------------------------------------------ fitting

    def fit(self, store: "Store", config: SegmentConfig | None = None, progress: Progress = no_progress,
            engine: Engine | None = None) -> dict[str, Any]:
        """Features as of the score date → segments + RFM → churn backtest and final fit → reasons; with a Ray
        `engine` every customer's segment, risk and attributions are computed on its workers."""
        with _one_thread():
            return self._fit(store, config, progress, engine)

    def _fit(self, store: "Store", config: SegmentConfig | None, progress: Progress,
             engine: Engine | None = None) -> dict[str, Any]:
        start = time.monotonic()
        cfg = config or self.config
        cfg.validate()
        self.config = cfg
        avail = availability(store)
        if not avail.ok:
            raise InsufficientDataError(avail.reason)
        as_of = cfg.as_of or (avail.last_order + timedelta(seconds=1))
        progress(0.02, "computing customer features")
        self.spec = feature_spec(store, as_of)
        feats = customer_features(store, as_of, self.spec)
        if feats.empty:
            raise InsufficientDataError(
                "Customer segments are unavailable because no identified customer bought anything before "
                f"{as_of:%Y-%m-%d}.")
        device = pick_device(cfg.device)
        report: dict[str, Any] = {
            "as_of": as_of.isoformat(), "n_customers": int(len(feats)), "guest_orders": int(avail.guest_orders),
            "features": self.spec.feature_columns(), "categories": list(self.spec.categories),
            "device": device.type, "config": cfg.to_dict(),
        }
        rfm = rfm_scores(feats)
        report["rfm_segments"] = [
            {"name": n, "size": int(c), "description": RFM_DESCRIPTIONS[n]}
            for n, c in rfm["rfm_segment"].value_counts().sort_index().items()]

        progress(0.08, "learning the customer embedding")
        report.update(self._fit_segments(feats, cfg, device))

        progress(0.35, "training the churn model on past cut-offs")
        churn = self._fit_churn(store, avail, as_of, cfg, device, progress)
        report["churn"] = churn

        progress(0.9, "scoring and explaining every customer")
        self.explain_baseline = None
        if self.classifier is not None:
            self.explain_baseline = self.churn_prep.transform_raw(
                np.nanmedian(feats[self.churn_prep.columns].to_numpy(dtype=float), axis=0)[None])[0]
        part, attr, delta = self._infer(feats, engine, lambda f, m: progress(0.9 + 0.09 * f, m))
        scored = feats.merge(self._combine(feats, part), on="customer_id", how="left")
        if self.classifier is not None:
            x = self.churn_prep.transform(feats)
            why = self._reasons(feats, attr)
            scored["reasons"] = [json.dumps(r) for r in why]
            rng = np.random.default_rng(cfg.seed)
            pick = np.sort(rng.choice(len(x), size=min(cfg.explain_sample, len(x)), replace=False))
            faith = _explain.faithfulness(self.classifier, x[pick], attr[pick], self.explain_baseline, cfg.seed)
            faith["max_convergence_delta"] = float(np.abs(delta).max())
            churn["faithfulness"] = faith
        else:
            scored["reasons"] = "[]"
        self.customers = scored
        report["seconds"] = round(time.monotonic() - start, 2)
        self.meta = {"metrics": report, "config": cfg.to_dict(), "spec": self.spec.to_dict()}
        progress(1.0, "done")
        return report

    def _fit_segments(self, feats: "pd.DataFrame", cfg: SegmentConfig, device: Any) -> dict[str, Any]:
        """Autoencoder embedding → clusters with k chosen in range → names from profiles."""
        if len(feats) < cfg.min_segment_customers:
            self.seg_prep = self.autoencoder = self.clusters = None
            self.segment_names = []
            return {"segments_available": False,
                    "segments_reason": (f"Learned segments need at least {cfg.min_segment_customers} customers "
                                        f"(this store has {len(feats)}); the RFM segments are shown instead."),
                    "segments": []}
        columns = self.spec.feature_columns()
        self.seg_prep = Preprocessor.fit(feats, columns)
        x = self.seg_prep.transform(feats)
        self.autoencoder, mse = _embedding.train_autoencoder(
            x, cfg.ae_hidden, cfg.embed_dim, cfg.ae_steps, cfg.batch_size, cfg.lr, cfg.seed, device)
        emb = _embedding.embed(self.autoencoder, x)
        clusters = _embedding.fit_clusters(emb, cfg.k_range, cfg.cluster_method, cfg.seed)
        labels = clusters.assign(emb)
        # present segments largest first, so segment 0 is the biggest group
        sizes = np.bincount(labels, minlength=clusters.k)
        order = np.argsort(-sizes, kind="stable")
        clusters.centers = clusters.centers[order]
        if clusters.method == "gmm":
            clusters.variances, clusters.weights = clusters.variances[order], clusters.weights[order]
        self.clusters = clusters
        labels = clusters.assign(emb)
        profiles = _naming.profile(feats, labels, clusters.k)
        store_p = _naming.store_profile(feats)
        self.segment_names = _naming.name_segments(profiles, store_p)
        segs = []
        for (name, desc), p in zip(self.segment_names, profiles):
            segs.append({"name": name, "description": desc, **{k: _jsonable(v) for k, v in p.items()}})
        return {"segments_available": True, "segments_reason": "", "k": clusters.k,
                "k_selection": {"method": ("silhouette (fewest k within "
                                           f"{_embedding.SILHOUETTE_TOLERANCE} of the best)")
                                if clusters.method == "kmeans" else "bic",
                                "scores": {str(k): v for k, v in clusters.scores.items()}},
                "autoencoder_mse": mse, "segments": segs,
                "store_profile": {k: _jsonable(v) for k, v in store_p.items()}}

    def _cutoffs(self, first: datetime, end: datetime, cfg: SegmentConfig) -> tuple[list[datetime], datetime]:
        """Training cut-offs (oldest first) and the calibration cut-off for outcomes that end by `end`."""
        cal = end - timedelta(days=cfg.horizon_days)
        train = []
        for i in range(1, cfg.max_train_cutoffs + 1):
            c = cal - timedelta(days=cfg.cutoff_step_days * i)
            if _days_between(first, c) < cfg.min_history_days:
                break
            train.append(c)
        return sorted(train), cal

    def _stack(self, store: "Store", cutoffs: list[datetime], horizon: int) -> tuple["pd.DataFrame", np.ndarray]:
        """Features at each cut-off with the outcome after it, stacked."""
        import pandas as pd

        frames, labels = [], []
        for c in cutoffs:
            f = customer_features(store, c, self.spec)
            frames.append(f)
            labels.append(churn_labels(store, c, horizon, f["customer_id"]))
        return pd.concat(frames, ignore_index=True), np.concatenate(labels) if labels else np.zeros(0, int)

    def _fit_churn(self, store: "Store", avail: Any, as_of: datetime, cfg: SegmentConfig, device: Any,
                   progress: Progress) -> dict[str, Any]:
        """Backtest (train → calibrate → test on the latest complete outcome), then the same recipe moved forward
        one horizon for today's scores; below the thresholds, no risk and the reason why."""
        self.classifier = self.calibrator = self.churn_prep = None
        h = cfg.horizon_days
        test_cut = cfg.backtest_cutoff or (as_of - timedelta(days=h))
        out: dict[str, Any] = {"available": False, "horizon_days": h}
        need_days = 2 * h + cfg.min_history_days
        span = _days_between(avail.first_order, as_of)
        train_cuts, cal_cut = self._cutoffs(avail.first_order, test_cut, cfg)
        if not train_cuts or test_cut + timedelta(days=h) > as_of + timedelta(seconds=1):
            out["reason"] = (f"No churn risk is shown: it needs about {need_days} days of order history "
                             f"(two {h}-day outcome windows plus {cfg.min_history_days} days of behaviour), and this "
                             f"store has {span:.0f}. The RFM segments below still apply.")
            return out
        x_te_f = customer_features(store, test_cut, self.spec)
        y_te = churn_labels(store, test_cut, h, x_te_f["customer_id"])
        n_pos, n_neg = int(y_te.sum()), int(len(y_te) - y_te.sum())
        if len(y_te) < cfg.min_churn_customers or min(n_pos, n_neg) < cfg.min_class_customers:
            out["reason"] = (f"No churn risk is shown: a trustworthy test needs at least {cfg.min_churn_customers} "
                             f"customers with {cfg.min_class_customers} who came back and {cfg.min_class_customers} "
                             f"who did not; at {test_cut:%Y-%m-%d} this store had {len(y_te)} customers ({n_neg} "
                             f"came back within {h} days, {n_pos} did not). The RFM segments below still apply.")
            return out
        columns = self.spec.churn_columns()
        tr_f, y_tr = self._stack(store, train_cuts, h)
        cal_f = customer_features(store, cal_cut, self.spec)
        y_cal = churn_labels(store, cal_cut, h, cal_f["customer_id"])
        progress(0.45, f"backtest: training on {len(y_tr):,} customer-cut-offs")
        method = cfg.calibration_method(len(y_cal))
        prep, clf, cal = self._train(tr_f, y_tr, cal_f, y_cal, columns, method, cfg, device)
        x_te = prep.transform(x_te_f)
        p_te = cal(_churn.logits(clf, x_te))
        z_te_raw = _churn.sigmoid(_churn.logits(clf, x_te))
        base = _churn.baselines(prep.transform(tr_f), y_tr, x_te, y_te, columns)
        model = {"auc": _churn.auc(y_te, p_te), "brier": _churn.brier(y_te, p_te),
                 "auc_uncalibrated": _churn.auc(y_te, z_te_raw), "brier_uncalibrated": _churn.brier(y_te, z_te_raw)}
        singles = {k: v for k, v in base.items() if k != "rfm_logistic"}
        best_name = max(singles, key=lambda k: singles[k]["auc"])
        margin = model["auc"] - singles[best_name]["auc"]
        beats_lr = model["brier"] < base["rfm_logistic"]["brier"]
        verdict = (f"The churn model's AUC is {model['auc']:.3f}, {margin:+.3f} against the best single signal "
                   f"({best_name.replace('_', ' ')}, {singles[best_name]['auc']:.3f}); its Brier score "
                   f"{model['brier']:.3f} is {'below' if beats_lr else 'NOT below'} the RFM regression's "
                   f"{base['rfm_logistic']['brier']:.3f}.")
        if margin <= 0:
            verdict += " The model does not beat the best single signal on this store; treat its ranking as no better."
        out.update({
            "available": True, "reason": "",
            "cutoffs": {"train": [c.isoformat() for c in train_cuts], "calibration": cal_cut.isoformat(),
                        "backtest": test_cut.isoformat()},
            "n_train": int(len(y_tr)), "n_calibration": int(len(y_cal)), "n_backtest": int(len(y_te)),
            "churn_rate_backtest": float(y_te.mean()), "calibration": method,
            "model": model, "baselines": base, "best_single": best_name, "auc_margin_over_best_single": margin,
            "brier_below_rfm_logistic": bool(beats_lr), "beats_best_single": bool(margin > 0),
            "reliability": _churn.reliability(y_te, p_te), "verdict": verdict,
        })
        progress(0.7, "training the churn model for today's scores")
        final_train, final_cal = self._cutoffs(avail.first_order, as_of, cfg)
        if not final_train:  # the as_of window leaves no earlier cut-off: reuse the backtest's
            final_train, final_cal = train_cuts + [cal_cut], test_cut
        tr2, y2 = self._stack(store, final_train, h)
        cal2 = customer_features(store, final_cal, self.spec)
        y_cal2 = churn_labels(store, final_cal, h, cal2["customer_id"])
        method2 = cfg.calibration_method(len(y_cal2))
        self.churn_prep, self.classifier, self.calibrator = self._train(tr2, y2, cal2, y_cal2, columns, method2, cfg,
                                                                        device)
        out["final_cutoffs"] = {"train": [c.isoformat() for c in final_train], "calibration": final_cal.isoformat()}
        return out

    @staticmethod
    def _train(tr_f: "pd.DataFrame", y_tr: np.ndarray, cal_f: "pd.DataFrame", y_cal: np.ndarray, columns: list[str],
               method: str, cfg: SegmentConfig, device: Any) -> tuple[Preprocessor, Any, _churn.Calibrator]:
        """One classifier: scaling from the training rows, torch MLP, calibration on the later cut-off."""
        prep = Preprocessor.fit(tr_f, columns)
        clf = _churn.train_classifier(prep.transform(tr_f), y_tr, cfg.clf_hidden, cfg.clf_steps, cfg.batch_size,
                                      cfg.lr, cfg.weight_decay, cfg.seed, device)
        if len(np.unique(y_cal)) == 2:
            cal = _churn.Calibrator.fit(_churn.logits(clf, prep.transform(cal_f)), y_cal, method)
        else:  # one outcome only at the calibration cut-off: keep the classifier's own probabilities
            cal = _churn.Calibrator("platt", np.array([1.0, 0.0]), np.zeros(0))
        return prep, clf, cal

    # ------------------------------------------------------------------ answering

    def _infer(self, feats: "pd.DataFrame", engine: Engine | None, progress: Progress
               ) -> tuple["pd.DataFrame", np.ndarray | None, np.ndarray | None]:
        """Every customer's own predictions (`_per_customer`) and, with a churn model, the attributions of its risk
        and their convergence deltas: here, or on Ray's workers from a copy of the model fitted so far."""
        if engine is None or not engine.distributed:
            part = self._per_customer(feats)
            if self.classifier is None:
                return part, None, None
            attr, delta = _explain.attributions(self.classifier, self.churn_prep.transform(feats),
                                                self.explain_baseline)
            return part, attr, delta
        import tempfile

        import pyarrow as pa

        self.meta = {"config": self.config.to_dict(), "spec": self.spec.to_dict()}
        with tempfile.TemporaryDirectory(prefix="storelens-segments-") as tmp:
            self.save(tmp)
            self.path = None  # the copy is gone once the workers are done; the registry saves the real version
            rows = min(RAY_BLOCK, max(64, -(-len(feats) // 8)))  # at least 8 blocks to share when there are enough
            plain = feats.copy(deep=False)
            plain.attrs = {}  # what the frame says about itself stays here (it holds dates Arrow metadata cannot)
            blocks = [pa.Table.from_pandas(plain.iloc[lo:lo + rows], preserve_index=False)
                      for lo in range(0, len(plain), rows)]
            out, workers = map_blocks(engine, Path(tmp), SegmentsModel.load, _infer_block, blocks, len(feats),
                                      progress, "customers")
        frame = out.to_pandas()
        self.ray_workers = workers
        part = frame[[c for c in frame.columns if not c.startswith(("attr_", "delta"))]]
        if self.classifier is None:
            return part, None, None
        attr = frame[[f"attr_{i}" for i in range(len(self.churn_prep.columns))]].to_numpy(dtype=np.float64)
        return part, attr, frame["delta"].to_numpy(dtype=np.float64)

    def predict(self, inputs: "pd.DataFrame") -> "pd.DataFrame":
        """Segment, RFM segment/scores, churn risk (NaN when no risk model) and map coordinates per customer."""
        with _one_thread():
            return self._predict(inputs)

    def _predict(self, inputs: "pd.DataFrame") -> "pd.DataFrame":
        return self._combine(inputs, self._per_customer(inputs))

    def _per_customer(self, feats: "pd.DataFrame") -> "pd.DataFrame":
        """What each customer's own features decide (learned segment and map point, churn risk): the part that
        runs on Ray's workers block by block."""
        import pandas as pd

        out = pd.DataFrame({"customer_id": feats["customer_id"].astype(str).to_numpy()})
        if self.clusters is not None:
            emb = _embedding.embed(self.autoencoder, self.seg_prep.transform(feats))
            out["segment_id"] = self.clusters.assign(emb).astype(np.int64)
            xy = self.clusters.project(emb)
            out["x"], out["y"] = xy[:, 0], xy[:, 1]
        if self.classifier is not None:
            out["churn_risk"] = self.calibrator(_churn.logits(self.classifier, self.churn_prep.transform(feats)))
        else:
            out["churn_risk"] = np.nan
        return out

    def _combine(self, feats: "pd.DataFrame", part: "pd.DataFrame") -> "pd.DataFrame":
        """`_per_customer`'s columns with what depends on all customers together: the RFM quintiles (and, without
        learned segments, the RFM segment and map in their place)."""
        rfm = rfm_scores(feats)
        out = part.reset_index(drop=True).copy()
        if self.clusters is not None:
            out["segment"] = [self.segment_names[s][0] for s in out["segment_id"]]
        else:
            out["segment"] = rfm["rfm_segment"].to_numpy()
            out["segment_id"] = np.int64(-1)
            out["x"] = -rfm["r_score"].to_numpy(dtype=float)
            out["y"] = rfm["f_score"].to_numpy(dtype=float)
        for c in ("rfm_segment", "r_score", "f_score", "m_score"):
            out[c] = rfm[c].to_numpy()
        return out[PREDICT_COLUMNS]

    def _reasons(self, feats: "pd.DataFrame", attr: np.ndarray) -> list[list[dict[str, Any]]]:
        cols = self.churn_prep.columns
        median = {c: float(np.nanmedian(feats[c].to_numpy(dtype=float))) if feats[c].notna().any() else float("nan")
                  for c in cols}
        rows = feats[cols + [c for c in ("n_orders_all", "n_returned") if c not in cols]].to_dict("records")
        labels = {f"cat_{i + 1}": c for i, c in enumerate(self.spec.categories)}
        return _explain.reasons(attr, rows, cols, median, labels)

    def explain(self, features: "pd.DataFrame") -> list[list[dict[str, Any]]]:
        """Top reasons (feature, value, attribution, direction, sentence) behind each customer's risk."""
        if self.classifier is None:
            return [[] for _ in range(len(features))]
        with _one_thread():
            attr, _ = _explain.attributions(self.classifier, self.churn_prep.transform(features),
                                            self.explain_baseline)
        return self._reasons(features, attr)

    @property
    def metrics(self) -> dict[str, Any]:
        """The fit's report (segments, k selection, churn backtest beside its baselines, faithfulness)."""
        return self.meta.get("metrics", {})

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> Path:
        """Weights, arrays and the scored customers; `segments.json` with checksums last."""
        import torch

        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        meta = dict(self.meta)
        meta["segment_names"] = [list(t) for t in self.segment_names]
        if self.clusters is not None:
            torch.save(self.autoencoder.state_dict(), folder / "autoencoder.pt")
            np.savez(folder / "clusters.npz", **self.clusters.to_arrays())
            files += [folder / "autoencoder.pt", folder / "clusters.npz"]
            meta["segments_model"] = {"prep": self.seg_prep.to_dict(), "method": self.clusters.method,
                                      "scores": {str(k): v for k, v in self.clusters.scores.items()},
                                      "n_in": len(self.seg_prep.columns)}
        if self.classifier is not None:
            torch.save(self.classifier.state_dict(), folder / "churn.pt")
            np.savez(folder / "calibration.npz", xs=self.calibrator.xs, ys=self.calibrator.ys,
                     baseline=self.explain_baseline)
            files += [folder / "churn.pt", folder / "calibration.npz"]
            meta["churn_model"] = {"prep": self.churn_prep.to_dict(), "calibration": self.calibrator.method}
        if self.customers is not None:
            self.customers.to_parquet(folder / "customers.parquet", index=False)
            files.append(folder / "customers.parquet")
        write_meta(folder, FAMILY, meta, files)
        self.path = folder
        return folder

    @classmethod
    def load(cls, path: str | Path) -> "SegmentsModel":
        """Restore a saved version; a missing or corrupt file raises ModelLoadError naming it (also one that passes
        its checksum but cannot be unpickled or parsed), so the registry falls back to the previous version."""
        import pandas as pd
        import torch

        def weights(file: Path) -> dict:
            return torch.load(file, weights_only=True)

        def arrays(file: Path) -> dict[str, np.ndarray]:
            with np.load(file) as z:
                return {k: z[k] for k in z.files}

        folder = Path(path)
        meta = read_meta(folder, FAMILY)
        try:
            model = cls(SegmentConfig.from_dict(meta["config"]))
            model.meta = meta
            model.path = folder
            model.spec = FeatureSpec.from_dict(meta["spec"])
            model.segment_names = [tuple(t) for t in meta.get("segment_names", [])]
            cfg = model.config
            if "segments_model" in meta:
                sm = meta["segments_model"]
                model.seg_prep = Preprocessor.from_dict(sm["prep"])
                model.autoencoder = _embedding.build_autoencoder(sm["n_in"], cfg.ae_hidden, cfg.embed_dim)
                model.autoencoder.load_state_dict(read_artefact(folder, FAMILY, "autoencoder.pt", weights))
                model.autoencoder.eval()
                model.clusters = _embedding.Clusters.from_arrays(
                    sm["method"], read_artefact(folder, FAMILY, "clusters.npz", arrays), sm["scores"])
            if "churn_model" in meta:
                cm = meta["churn_model"]
                model.churn_prep = Preprocessor.from_dict(cm["prep"])
                model.classifier = _churn.build_classifier(len(model.churn_prep.columns), cfg.clf_hidden)
                model.classifier.load_state_dict(read_artefact(folder, FAMILY, "churn.pt", weights))
                model.classifier.eval()
                calibration = read_artefact(folder, FAMILY, "calibration.npz", arrays)
                model.calibrator = _churn.Calibrator(cm["calibration"], calibration["xs"], calibration["ys"])
                model.explain_baseline = calibration["baseline"]
            if (folder / "customers.parquet").is_file():
                model.customers = read_artefact(folder, FAMILY, "customers.parquet", pd.read_parquet)
        except ModelLoadError:
            raise  # already names the file (a RuntimeError itself, so it must not be wrapped again below)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelLoadError(f"{FAMILY} model at {folder} is corrupt: {exc}") from exc
        return model


def _jsonable(v: Any) -> Any:
    """NaN → None so the metrics stay valid JSON."""
    return None if isinstance(v, float) and not np.isfinite(v) else v


def _infer_block(model: SegmentsModel, block: Any) -> "pd.DataFrame":
    """A Ray worker's part of `_infer`: one block of customers' own predictions, with the churn attributions
    (`attr_0`..) and their convergence delta when the model has a churn classifier."""
    feats = block.to_pandas()
    with _one_thread():
        part = model._per_customer(feats)
        if model.classifier is not None:
            attr, delta = _explain.attributions(model.classifier, model.churn_prep.transform(feats),
                                                model.explain_baseline)
            for i in range(attr.shape[1]):
                part[f"attr_{i}"] = attr[:, i]
            part["delta"] = delta
    return part


REGISTRY = Registry(FAMILY, SegmentsModel.load, train_hint="storelens segment")


def train(store: "Store", config: SegmentConfig | None = None, progress: Progress = no_progress,
          activate: bool = True, engine: Engine | None = None) -> SegmentsModel:
    """Fit and register a new active version (what `storelens segment` and the page's background job run); with a
    Ray `engine` the per-customer inference runs on its workers."""
    model = SegmentsModel(config)
    report = model.fit(store, config, progress, engine)

    def save(folder: Path, version: str, _created: object) -> None:
        model.version = version
        model.save(folder)

    model.version, model.path = REGISTRY.register(store, save, report, activate=activate)
    return model
