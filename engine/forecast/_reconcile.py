"""Reconciliation of a two-level hierarchy (total = sum of the split series): the MinT solution with a diagonal
error covariance (weighted least squares), so the numbers on screen add up while the better-forecast series
move least."""

from __future__ import annotations

import numpy as np


def reconcile(forecasts: np.ndarray, variances: np.ndarray, total: int = 0) -> np.ndarray:
    """Coherent copy of `forecasts` (n_series, horizon, k): row `total` becomes the sum of the others.

    WLS/MinT-diagonal: with S the summing matrix and W = diag(variances), y~ = S (S'W^-1 S)^-1 S'W^-1 y^. For
    one total over n bottoms that is: each bottom moves by its share w_i / (w_total + sum w) of the gap between
    the total's forecast and the bottoms' sum. Every column k (p10, p50, p90, mean) is reconciled alike, i.e.
    each interval moves with its median and keeps its own width.
    """
    f = np.array(forecasts, dtype=float, copy=True)
    bottom = [i for i in range(f.shape[0]) if i != total]
    if not bottom:
        return f
    w = np.where(np.isfinite(variances) & (variances > 0), variances, np.nan)
    fill = np.nanmean(w) if np.isfinite(w).any() else 1.0
    w = np.where(np.isfinite(w), w, fill)
    share = w[bottom] / (w[total] + w[bottom].sum())
    # the point columns decide the shift: p50 moves the interval (columns 0-2), the mean moves alone
    for point, moved in ((1, [0, 1, 2]), (3, [3])):
        if point >= f.shape[-1]:
            continue
        gap = f[total, :, point] - f[bottom, :, point].sum(axis=0)  # (horizon,)
        shift = share[:, None] * gap[None]  # (n_bottom, horizon)
        for k in moved:
            f[bottom, :, k] += shift
        total_shift = f[bottom, :, point].sum(axis=0) - f[total, :, point]
        for k in moved:
            f[total, :, k] += total_shift
    return _reorder(f)


def _reorder(f: np.ndarray) -> np.ndarray:
    """Keep p10 <= p50 <= p90 after the shift (columns 0..2)."""
    if f.shape[-1] >= 3:
        f[..., :3] = np.sort(f[..., :3], axis=-1)
    return f
