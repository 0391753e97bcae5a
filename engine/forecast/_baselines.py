"""The simple forecasters the network must beat, measured in the same run: seasonal naive (own, exact), AutoETS
and AutoTheta (statsforecast), each giving a point forecast and an 80% interval."""

from __future__ import annotations

import logging
import warnings

import numpy as np

log = logging.getLogger(__name__)

Z80 = 1.2815515655446004  # the normal quantile of 0.9: an 80% central interval is mean +- Z80 * sigma
BASELINES = ("seasonal_naive", "auto_ets", "auto_theta")
LABELS = {"model": "StoreLens model", "seasonal_naive": "seasonal naive", "auto_ets": "AutoETS",
          "auto_theta": "AutoTheta"}


def fill_gaps(y: np.ndarray) -> np.ndarray:
    """Baselines need a gap-free series: interpolate missing periods, carry the ends (all missing -> zeros)."""
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    if ok.all():
        return y
    if not ok.any():
        return np.zeros_like(y)
    x = np.arange(len(y))
    return np.interp(x, x[ok], y[ok])


def effective_season(n: int, season: int) -> int:
    """The season length usable with n periods (two whole seasons needed), else 1 (plain naive)."""
    return season if n >= 2 * season else 1


def seasonal_naive(y: np.ndarray, h: int, season: int) -> np.ndarray:
    """(h, 3): the value one season back, repeated; 80% interval from the in-sample seasonal differences."""
    y = fill_gaps(y)
    m = effective_season(len(y), season)
    last = y[-m:]
    point = np.array([last[k % m] for k in range(h)])
    resid = y[m:] - y[:-m] if len(y) > m else np.zeros(1)
    sigma = float(np.std(resid)) if len(resid) > 1 else 0.0
    k = np.floor(np.arange(h) / m) + 1
    half = Z80 * sigma * np.sqrt(k)
    return np.column_stack([point - half, point, point + half])


def _statsforecast(name: str, y: np.ndarray, h: int, season: int) -> np.ndarray:
    """(h, 3) lo-80 / mean / hi-80 from statsforecast's AutoETS or AutoTheta."""
    from statsforecast.models import AutoETS, AutoTheta

    m = effective_season(len(y), season)
    model = AutoETS(season_length=m) if name == "auto_ets" else AutoTheta(season_length=m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = model.forecast(y=y.astype(float), h=h, level=[80])
    return np.column_stack([out["lo-80"], out["mean"], out["hi-80"]]).astype(float)


def baseline_forecast(name: str, y: np.ndarray, h: int, season: int) -> tuple[np.ndarray, bool]:
    """(h, 3) forecast of one baseline and whether it ran as itself (a failed fit falls back to seasonal naive)."""
    y = fill_gaps(y)
    if name == "seasonal_naive":
        return seasonal_naive(y, h, season), True
    if len(y) >= 4 and np.ptp(y) > 0:
        try:
            out = _statsforecast(name, y, h, season)
            if np.isfinite(out).all():
                return out, True
        except Exception as exc:  # noqa: BLE001 # statsforecast raises many types on degenerate series
            log.info("%s failed on a series (%s); using seasonal naive there", name, exc)
    return seasonal_naive(y, h, season), False
