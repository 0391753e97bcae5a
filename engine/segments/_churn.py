"""Churn risk: a torch classifier trained on features at past cut-offs with the outcome after each, calibrated
on a later cut-off, and judged on the latest cut-off against every single RFM signal and an RFM logistic
regression fitted on the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._embedding import _batches

RFM_COLUMNS = ["recency_days", "frequency", "monetary"]


def build_classifier(n_in: int, hidden: int) -> Any:
    """A small MLP giving the logit of P(no purchase in the horizon)."""
    import torch.nn as nn

    return nn.Sequential(nn.Linear(n_in, hidden), nn.GELU(), nn.Dropout(0.1), nn.Linear(hidden, hidden // 2),
                         nn.GELU(), nn.Linear(hidden // 2, 1))


def train_classifier(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, batch: int, lr: float,
                     weight_decay: float, seed: int, device: Any) -> Any:
    """Fit with binary cross-entropy; returns the model on CPU in eval mode."""
    import torch

    torch.manual_seed(seed)
    model = build_classifier(x.shape[1], hidden).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    xt = torch.from_numpy(np.asarray(x, dtype=np.float32)).to(device)
    yt = torch.from_numpy(np.asarray(y, dtype=np.float32)).to(device)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for idx in _batches(len(x), batch, steps, gen):
        idx = idx.to(device)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(xt[idx]).squeeze(1), yt[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.cpu().eval()


def logits(model: Any, x: np.ndarray) -> np.ndarray:
    """Raw scores of the classifier."""
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(x, dtype=np.float32))).squeeze(1).numpy().astype(np.float64)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


@dataclass
class Calibrator:
    """Isotonic steps (x thresholds → probabilities) or Platt's a·logit + b, fitted on a later cut-off."""

    method: str
    xs: np.ndarray
    ys: np.ndarray

    def __call__(self, z: np.ndarray) -> np.ndarray:
        if self.method == "platt":
            return sigmoid(self.xs[0] * z + self.xs[1])
        return np.clip(np.interp(z, self.xs, self.ys), 1e-4, 1 - 1e-4)

    @classmethod
    def fit(cls, z: np.ndarray, y: np.ndarray, method: str) -> "Calibrator":
        """Learn the map from raw scores to observed churn rates."""
        if method == "platt":
            from sklearn.linear_model import LogisticRegression

            lr = LogisticRegression(C=1e6).fit(z.reshape(-1, 1), y)
            return cls("platt", np.array([lr.coef_[0, 0], lr.intercept_[0]]), np.zeros(0))
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(z, y)
        return cls("isotonic", np.asarray(iso.X_thresholds_, dtype=float), np.asarray(iso.y_thresholds_, dtype=float))


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties count half)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Equal-width bins of predicted risk: mean prediction, observed churn rate, count; and the expected
    calibration error (count-weighted gap)."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        pred, obs = float(p[m].mean()), float(y[m].mean())
        rows.append({"bin_low": float(edges[b]), "bin_high": float(edges[b + 1]), "mean_predicted": pred,
                     "observed": obs, "n": int(m.sum())})
        ece += m.sum() / len(p) * abs(pred - obs)
    return {"bins": rows, "ece": float(ece)}


def baselines(x_tr: np.ndarray, y_tr: np.ndarray, x_te: np.ndarray, y_te: np.ndarray,
              columns: list[str]) -> dict[str, dict[str, float]]:
    """Each single RFM signal (a one-feature logistic regression, so it has probabilities too) and the RFM
    logistic regression, trained on the model's training rows and scored on the backtest rows."""
    from sklearn.linear_model import LogisticRegression

    out: dict[str, dict[str, float]] = {}
    idx = {c: columns.index(c) for c in RFM_COLUMNS}
    for name, cols in (("recency_only", ["recency_days"]), ("frequency_only", ["frequency"]),
                       ("monetary_only", ["monetary"]), ("rfm_logistic", RFM_COLUMNS)):
        j = [idx[c] for c in cols]
        lr = LogisticRegression(max_iter=1000).fit(x_tr[:, j], y_tr)
        p = lr.predict_proba(x_te[:, j])[:, 1]
        out[name] = {"auc": auc(y_te, p), "brier": brier(y_te, p)}
    return out
