"""Plain names and one-line descriptions for learned segments, generated from each segment's profile against
the store average, so a merchant reads "Lapsing regulars" instead of "cluster 3"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PROFILE_COLUMNS = ["recency_days", "frequency", "monetary", "aov", "mean_gap_days", "overdue_ratio",
                   "orders_90d", "return_share", "discount_share", "basket_units"]


def profile(features: "pd.DataFrame", labels: np.ndarray, k: int) -> list[dict[str, Any]]:
    """Per segment: size, revenue share and the median of each profile feature (mean for shares)."""
    total = float(features["monetary"].sum()) or 1.0
    out = []
    for s in range(k):
        part = features[labels == s]
        row: dict[str, Any] = {"size": int(len(part)), "revenue_share": float(part["monetary"].sum()) / total}
        for c in PROFILE_COLUMNS:
            vals = part[c].to_numpy(dtype=float)
            vals = vals[np.isfinite(vals)]
            if c.endswith("_share"):
                row[c] = float(vals.mean()) if len(vals) else 0.0
            else:
                row[c] = float(np.median(vals)) if len(vals) else float("nan")
        out.append(row)
    return out


def store_profile(features: "pd.DataFrame") -> dict[str, float]:
    """The store-wide reference the segment profiles are compared with."""
    return profile(features, np.zeros(len(features), dtype=int), 1)[0]


def _name(p: dict[str, Any], store: dict[str, Any]) -> str:
    """Value tier + frequency tier + engagement, from fixed, documented ratios to the store."""
    freq, overdue = p["frequency"], p["overdue_ratio"]
    if freq <= 1:
        tier = "one-time buyers"
    elif freq >= max(4.0, 2 * store["frequency"]):
        tier = "loyal"
    else:
        tier = "regulars"
    if not np.isfinite(overdue) or overdue <= 1.0:
        state = "active"
    elif overdue <= 2.5:
        state = "lapsing"
    else:
        state = "lapsed"
    base = {
        ("one-time buyers", "active"): "New one-time buyers",
        ("one-time buyers", "lapsing"): "Fading one-time buyers",
        ("one-time buyers", "lapsed"): "Lost one-time buyers",
        ("regulars", "active"): "Active regulars",
        ("regulars", "lapsing"): "Lapsing regulars",
        ("regulars", "lapsed"): "Lapsed regulars",
        ("loyal", "active"): "Loyal",
        ("loyal", "lapsing"): "Slipping loyal",
        ("loyal", "lapsed"): "Lost loyal",
    }[(tier, state)]
    ratio = p["monetary"] / store["monetary"] if store["monetary"] > 0 else 1.0
    if ratio >= 2.0:
        base = "High-value " + base[0].lower() + base[1:]
    elif ratio <= 0.5:
        base = "Low-value " + base[0].lower() + base[1:]
    if p["discount_share"] >= max(0.2, 2 * store["discount_share"]):
        base += ", bargain hunters"
    elif p["return_share"] >= max(0.2, 2 * store["return_share"]):
        base += ", frequent returners"
    return base


def _days(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.0f} days"


def describe(p: dict[str, Any], store: dict[str, Any]) -> str:
    """One line a merchant can read: orders, recency against the usual gap, spend against the store."""
    gap = ""
    if p["frequency"] > 1:
        gap = (", usually on the same day" if p["mean_gap_days"] < 1
               else f", usually every {_days(p['mean_gap_days'])}")
    spend = p["monetary"] / store["monetary"] if store["monetary"] > 0 else 1.0
    extra = ""
    if p["return_share"] >= max(0.2, 2 * store["return_share"]):
        extra = f"; {p['return_share']:.0%} of orders returned or cancelled"
    elif p["discount_share"] >= max(0.2, 2 * store["discount_share"]):
        extra = f"; {p['discount_share']:.0%} of items bought below the usual price"
    return (f"Typically {p['frequency']:.0f} order{'s' if p['frequency'] != 1 else ''}{gap}, last one "
            f"{_days(p['recency_days'])} ago; spends {p['monetary']:,.0f} ({spend:.1f}x the store median)"
            f"{extra}; {p['revenue_share']:.0%} of revenue.")


def name_segments(profiles: list[dict[str, Any]], store: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, description) per segment; a repeated name gets the feature that tells the twins apart."""
    names = [_name(p, store) for p in profiles]
    for name in set(names):
        twins = [i for i, n in enumerate(names) if n == name]
        if len(twins) < 2:
            continue
        for rank, i in enumerate(sorted(twins, key=lambda i: -profiles[i]["monetary"])):
            names[i] = f"{name} ({'higher' if rank == 0 else 'lower' if rank == len(twins) - 1 else 'mid'} spend)"
        if len({names[i] for i in twins}) < len(twins):
            for n, i in enumerate(twins):
                names[i] = f"{name} {n + 1}"
    return [(n, describe(p, store)) for n, p in zip(names, profiles)]
