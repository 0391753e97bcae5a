"""Why this customer is at risk: Integrated Gradients (Captum) on the churn classifier against the store-median
customer, turned into sentences with the values behind them, and a check that the explanations are faithful."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._churn import logits, sigmoid


def attributions(model: Any, x: np.ndarray, baseline: np.ndarray, steps: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature attributions of the risk logit (model scale) and the convergence deltas."""
    import torch
    from captum.attr import IntegratedGradients

    ig = IntegratedGradients(lambda t: model(t).squeeze(1))
    inp = torch.from_numpy(np.asarray(x, dtype=np.float32))
    base = torch.from_numpy(np.asarray(baseline, dtype=np.float32)).reshape(1, -1).expand_as(inp)
    attr, delta = ig.attribute(inp, baselines=base, n_steps=steps, return_convergence_delta=True)
    return attr.detach().numpy().astype(np.float64), delta.detach().numpy().astype(np.float64)


def _n(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 or float(x).is_integer() else f"{x:,.1f}"


def _rhythm(row: dict[str, Any]) -> str:
    """'; usually orders every 35 days' (or why there is no rhythm), to follow the recency."""
    gap, n = row.get("mean_gap_days"), row.get("frequency", 0)
    if n <= 1 or gap is None or not np.isfinite(gap):
        return "; has ordered only once"
    if gap < 1:
        return f"; all {_n(n)} orders within one day"
    return f"; usually orders every {_n(gap)} days"


def sentence(feature: str, row: dict[str, Any], median: dict[str, float]) -> str:
    """A merchant's sentence for one feature of one customer, with the store median where it helps."""
    v = row.get(feature)
    med = median.get(feature, float("nan"))
    if feature in ("recency_days", "overdue_ratio"):
        return f"last order {_n(row['recency_days'])} days ago{_rhythm(row)}"
    if feature == "mean_gap_days":
        if v is None or not np.isfinite(v):
            return "only one order so far, so no usual rhythm yet"
        if v < 1:
            return f"all {_n(row.get('frequency', 0))} orders placed within one day (store median gap {_n(med)} days)"
        return f"usually orders every {_n(v)} days (store median {_n(med)})"
    if feature == "frequency":
        return f"{_n(v)} order{'s' if v != 1 else ''} in total (store median {_n(med)})"
    if feature == "orders_90d":
        return f"{_n(v)} order{'s' if v != 1 else ''} in the last 90 days (store median {_n(med)})"
    if feature == "monetary":
        return f"spent {_n(v)} in total (store median {_n(med)})"
    if feature == "aov":
        return f"spends {_n(v)} per order (store median {_n(med)})"
    if feature == "tenure_days":  # a churn input of versions saved before it was left out (still loadable)
        return f"first order {_n(v)} days ago"
    if feature == "gap_trend":
        if v is None or not np.isfinite(v):
            return "too few orders to see a trend in the time between them"
        return (f"time between orders {'growing' if v > 0 else 'shrinking'} by {_n(abs(v))} days per order")
    if feature == "return_share":
        return f"{int(row.get('n_returned', 0))} of {int(row.get('n_orders_all', 0))} orders returned or cancelled"
    if feature == "discount_share":
        return f"{v:.0%} of items bought below the usual price (store median {med:.0%})"
    if feature == "basket_units":
        return f"{_n(v)} items per order (store median {_n(med)})"
    if feature == "distinct_products":
        products = "one product" if v == 1 else f"{_n(v)} different products"
        return f"bought {products} (store median {_n(med)})"
    if feature == "n_reviews":
        return f"wrote {_n(v)} review{'s' if v != 1 else ''}"
    if feature == "mean_rating":
        return "no rated reviews" if v is None or not np.isfinite(v) else f"mean review rating {v:.1f} of 5"
    if feature == "mean_sentiment":
        return ("no scored reviews" if v is None or not np.isfinite(v)
                else f"reviews read {'positive' if v > 0.2 else 'negative' if v < -0.2 else 'mixed'} ({v:+.2f})")
    if feature.startswith("cat_"):
        return f"{v:.0%} of spend in {row.get('_cat_label', feature)}"
    return f"{feature} = {v}"


def reasons(attr: np.ndarray, rows: list[dict[str, Any]], columns: list[str], median: dict[str, float],
            cat_labels: dict[str, str], top: int = 3) -> list[list[dict[str, Any]]]:
    """Top features by |attribution| per customer, each with value, attribution, direction and sentence."""
    out = []
    for a, row in zip(attr, rows):
        items = []
        seen: set[str] = set()
        for j in np.argsort(-np.abs(a), kind="stable"):
            f = columns[j]
            key = "recency" if f in ("recency_days", "overdue_ratio") else f
            if key in seen or abs(a[j]) < 1e-6:
                continue
            seen.add(key)
            r = dict(row, _cat_label=cat_labels.get(f, f))
            v = row.get(f)
            items.append({"feature": f, "value": None if v is None or not np.isfinite(v) else float(v),
                          "attribution": float(f"{a[j]:.6g}"),
                          "direction": "raises risk" if a[j] > 0 else "lowers risk",
                          "sentence": sentence(f, r, median)})
            if len(items) == top:
                break
        out.append(items)
    return out


def faithfulness(model: Any, x: np.ndarray, attr: np.ndarray, baseline: np.ndarray, seed: int) -> dict[str, Any]:
    """Move each customer's top-attributed feature to the store median and, separately, a random other feature:
    a faithful explanation changes the risk more in the first case."""
    rng = np.random.default_rng(seed)
    p0 = sigmoid(logits(model, x))
    top = np.abs(attr).argmax(axis=1)
    others = np.array([rng.choice([j for j in range(x.shape[1]) if j != t]) for t in top])
    x_top, x_rand = x.copy(), x.copy()
    rows = np.arange(len(x))
    x_top[rows, top] = baseline[top]
    x_rand[rows, others] = baseline[others]
    d_top = np.abs(sigmoid(logits(model, x_top)) - p0)
    d_rand = np.abs(sigmoid(logits(model, x_rand)) - p0)
    return {"n": int(len(x)), "mean_change_top": float(d_top.mean()), "mean_change_random": float(d_rand.mean()),
            "share_top_beats_random": float((d_top > d_rand).mean()),
            "faithful": bool(d_top.mean() > d_rand.mean())}
