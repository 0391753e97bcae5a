"""The simple forecasters the network must beat, measured in the same run, as small classes behind one interface
(statsforecast-style: `forecast(y, h, season) -> (h, 3)` lo-80 / point / hi-80):

- seasonal naive (own, exact): the reference every MASE is scaled by;
- weekday median: the median of the same weekday over the last 8 weeks (of the last 8 weeks, weekly), the
  baseline an analyst tries first and robust to one-off spikes;
- AutoETS and AutoTheta (statsforecast);
- Croston (SBA, statsforecast): built for intermittent series, many periods without a sale;
- Fracast-0: a small zero-shot foundation model (Apache-2.0, weights bundled in its wheel, read offline), run only
  when the package is installed.

A baseline whose fit fails on a degenerate series falls back to seasonal naive there, and says so.
"""

from __future__ import annotations

import logging
import warnings
from functools import lru_cache

import numpy as np

log = logging.getLogger(__name__)

Z80 = 1.2815515655446004  # the normal quantile of 0.9: an 80% central interval is mean +- Z80 * sigma
RECENT = 8  # seasons the weekday median (and Croston's spread) look back over


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


class Baseline:
    """One simple forecaster: `forecast` gives (h, 3) lo-80 / point / hi-80 for one gap-free series."""

    name = ""
    label = ""

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        """(h, 3) lo-80 / point / hi-80 for the `h` periods after `y`."""
        raise NotImplementedError


class SeasonalNaive(Baseline):
    """The value one season back, repeated; 80% interval from the in-sample seasonal differences."""

    name, label = "seasonal_naive", "seasonal naive"

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        m = effective_season(len(y), season)
        last = y[-m:]
        point = np.array([last[k % m] for k in range(h)])
        resid = y[m:] - y[:-m] if len(y) > m else np.zeros(1)
        sigma = float(np.std(resid)) if len(resid) > 1 else 0.0
        half = Z80 * sigma * np.sqrt(np.floor(np.arange(h) / m) + 1)
        return np.column_stack([point - half, point, point + half])


class WeekdayMedian(Baseline):
    """Median of the same weekday over the last 8 weeks (daily; weekly: the last 8 weeks). The interval is the
    10th-90th percentile of those same values, so a series that never went below zero never gets a band below it."""

    name, label = "weekday_median", "weekday median (8 weeks)"

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        m = season if 1 < season <= 7 and len(y) >= season else 1  # a year of weeks is no "same weekday"
        k = max(1, min(RECENT, len(y) // m))
        recent = y[len(y) - k * m:].reshape(k, m)  # rows: weeks, columns: position in the week
        q = np.quantile(recent, [0.1, 0.5, 0.9], axis=0).T  # (m, 3)
        return q[np.arange(h) % m]


class _StatsForecast(Baseline):
    """A statsforecast model giving its own 80% interval."""

    def _model(self, m: int):
        """The statsforecast model for season length m."""
        raise NotImplementedError

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self._model(effective_season(len(y), season)).forecast(y=y.astype(float), h=h, level=[80])
        return np.column_stack([out["lo-80"], out["mean"], out["hi-80"]]).astype(float)


class AutoETS(_StatsForecast):
    """Exponential smoothing with the error, trend and season forms picked by AICc."""

    name, label = "auto_ets", "AutoETS"

    def _model(self, m: int):
        from statsforecast.models import AutoETS as Model

        return Model(season_length=m)


class AutoTheta(_StatsForecast):
    """The Theta method (a drift plus exponential smoothing), its variant picked by fit."""

    name, label = "auto_theta", "AutoTheta"

    def _model(self, m: int):
        from statsforecast.models import AutoTheta as Model

        return Model(season_length=m)


class Croston(Baseline):
    """Croston's method with the Syntetos-Boylan correction (statsforecast), for series with many empty periods:
    a flat rate of demand. It has no interval of its own; its band is the 10th-90th percentile of the recent periods."""

    name, label = "croston", "Croston (SBA)"

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        from statsforecast.models import CrostonSBA

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point = np.asarray(CrostonSBA().forecast(y=y.astype(float), h=h)["mean"], dtype=float)
        lo, hi = np.quantile(y[-RECENT * max(season, 1):], [0.1, 0.9])
        return np.column_stack([np.minimum(lo, point), point, np.maximum(hi, point)])


@lru_cache(maxsize=1)
def _fracast_model():
    """The bundled Fracast-0 weights, loaded once per process: without a model id, from_pretrained reads the files
    inside the installed wheel and never asks the hub (checked with the network off)."""
    from fracast import FracastModel

    return FracastModel.from_pretrained()  # no argument: the weights inside the installed wheel


def fracast_available() -> bool:
    """Whether the optional Fracast package is installed (it is measured only then)."""
    import importlib.util

    return importlib.util.find_spec("fracast") is not None


class Fracast(Baseline):
    """Fracast-0 zero-shot: its 0.1 / 0.5 / 0.9 quantiles, all series in one batch."""

    name, label = "fracast", "Fracast-0 (zero-shot)"

    def forecast(self, y: np.ndarray, h: int, season: int) -> np.ndarray:
        return self.forecast_many(y[None, :], h, season)[0][0]

    def forecast_many(self, values: np.ndarray, h: int, season: int) -> tuple[np.ndarray, np.ndarray]:
        filled = np.stack([fill_gaps(y) for y in values])
        if filled.shape[1] < 8:
            return SeasonalNaive().forecast_many(filled, h, season)[0], np.zeros(len(values), dtype=bool)
        q = _fracast_model().forecast_batch(filled.astype(np.float32), horizon=h).astype(float)
        return q[:, :, [0, 4, 8]], np.ones(len(values), dtype=bool)


REGISTRY: dict[str, Baseline] = {b.name: b for b in (SeasonalNaive(), WeekdayMedian(), AutoETS(), AutoTheta(),
                                                      Croston(), Fracast())}
BASELINES = tuple(REGISTRY)
DEFAULT_BASELINES = ("seasonal_naive", "weekday_median", "auto_ets", "auto_theta", "croston", "fracast")
LABELS = {"model": "StoreLens forecast", "network": "StoreLens network", "ensemble": "network + weekday median",
          **{name: b.label for name, b in REGISTRY.items()}}


def seasonal_naive(y: np.ndarray, h: int, season: int) -> np.ndarray:
    """(h, 3) seasonal naive forecast of one series."""
    return SeasonalNaive().forecast(fill_gaps(y), h, season)


def baseline_forecast(name: str, y: np.ndarray, h: int, season: int) -> tuple[np.ndarray, bool]:
    """(h, 3) forecast of one baseline and whether it ran as itself (a failed fit falls back to seasonal naive)."""
    y = fill_gaps(y)
    if name in ("seasonal_naive", "weekday_median") or (len(y) >= 4 and np.ptp(y) > 0):
        try:
            out = REGISTRY[name].forecast(y, h, season)
            if np.isfinite(out).all():
                return out, True
        except Exception as exc:  # noqa: BLE001 # statsforecast raises many types on degenerate series
            log.info("%s failed on a series (%s); using seasonal naive there", name, exc)
    return seasonal_naive(y, h, season), False


def baseline_forecasts(name: str, values: np.ndarray, h: int, season: int) -> np.ndarray:
    """(n, h, 3) forecasts of one baseline for every series (rows of `values`), batched where the method can."""
    if name == "fracast":
        try:
            return REGISTRY[name].forecast_many(values, h, season)[0]
        except Exception as exc:  # noqa: BLE001 # an unusable optional model must not sink the forecast
            log.warning("Fracast failed (%s); using seasonal naive in its place", exc)
            return np.stack([seasonal_naive(y, h, season) for y in values])
    return np.stack([baseline_forecast(name, y, h, season)[0] for y in values])
