"""Reconciliation of a two-level hierarchy (total = sum of the split series): the MinT solution with a diagonal
error covariance (weighted least squares), so the numbers on screen add up while the better-forecast series
move least. Closed days stay exactly zero, and a non-negative series is never pushed below zero."""

from __future__ import annotations

import numpy as np


def reconcile(forecasts: np.ndarray, variances: np.ndarray, total: int = 0, nonneg: np.ndarray | None = None,
              fixed: np.ndarray | None = None) -> np.ndarray:
    """Coherent copy of `forecasts` (n_series, horizon, k): row `total` becomes the sum of the others.

    WLS/MinT-diagonal: with S the summing matrix and W = diag(variances), y~ = S (S'W^-1 S)^-1 S'W^-1 y^. For
    one total over n bottoms that is: each bottom moves by its share w_i / (w_total + sum w) of the gap between
    the total's forecast and the bottoms' sum. A `fixed` cell (series, step), a closed day, has weight 0 there and
    does not move. The point columns (p50, mean) move by the shift; a non-negative series' point stops at zero
    (the total then is the sum of what the bottoms became) and its p10 moves in proportion to its median, the
    other columns by the shift, so every band keeps its shape.
    """
    f = np.array(forecasts, dtype=float, copy=True)
    n, h = f.shape[:2]
    bottom = [i for i in range(n) if i != total]
    if not bottom:
        return f
    nonneg = np.zeros(n, dtype=bool) if nonneg is None else np.asarray(nonneg, dtype=bool)
    fixed = np.zeros((n, h), dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)[:, :h]
    w = np.where(np.isfinite(variances) & (variances > 0), variances, np.nan)
    fill = np.nanmean(w) if np.isfinite(w).any() else 1.0
    w = np.where(np.isfinite(w), w, fill)
    wt = np.where(fixed, 0.0, w[:, None])  # (n, h)
    denom = wt[total] + wt[bottom].sum(axis=0)
    share = np.divide(wt[bottom], denom, out=np.zeros_like(wt[bottom]), where=denom > 0)  # (n_bottom, h)
    for point, moved in ((1, [0, 1, 2]), (3, [3])):
        if point >= f.shape[-1]:
            continue
        gap = f[total, :, point] - f[bottom, :, point].sum(axis=0)  # (horizon,)
        old = f[bottom, :, point].copy()
        new = old + share * gap[None]
        new = np.where(nonneg[bottom, None], np.maximum(new, 0.0), new)
        for k in moved:
            if k == point:
                f[bottom, :, k] = new
            elif k == 0:  # p10: in proportion for a non-negative series, else by the shift
                ratio = np.divide(new, old, out=np.ones_like(new), where=old > 0)
                f[bottom, :, k] = np.where(nonneg[bottom, None] & (old > 0), f[bottom, :, k] * ratio,
                                           f[bottom, :, k] + new - old)
            else:
                f[bottom, :, k] += new - old
        total_new = f[bottom, :, point].sum(axis=0)
        t_old = f[total, :, point].copy()
        for k in moved:
            if k == point:
                f[total, :, k] = total_new
            elif k == 0 and nonneg[total]:
                ratio = np.divide(total_new, t_old, out=np.ones_like(t_old), where=t_old > 0)
                f[total, :, k] = np.where(t_old > 0, f[total, :, k] * ratio, f[total, :, k])
            else:
                f[total, :, k] += total_new - t_old
    return _reorder(f)


def _reorder(f: np.ndarray) -> np.ndarray:
    """Keep p10 <= p50 <= p90 after the shift (columns 0..2)."""
    if f.shape[-1] >= 3:
        f[..., :3] = np.sort(f[..., :3], axis=-1)
    return f
