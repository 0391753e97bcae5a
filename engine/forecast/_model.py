"""The forecast model family: a fitted global network plus the run that produced it (backtest, forecasts), under
the shared fit/predict/save/load contract and registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.models import (
    ModelFamily,
    ModelLoadError,
    Progress,
    Registry,
    no_progress,
    read_meta,
    write_meta,
)

from ._backtest import FORECAST_COLUMNS, ForecastResult, run
from ._calendar import calendar_matrix, holiday_names, n_features
from ._closed import apply_closed, learn_closed
from ._config import ForecastConfig
from ._reconcile import reconcile
from ._series import SeriesSet, build_series

if TYPE_CHECKING:
    from engine.store import Store

FAMILY = "forecast"
_WEIGHTS = "weights.pt"
_RESULT = "result.json"


class ForecastModel(ModelFamily):
    """One global quantile network for every series of a request (metric x split x frequency x horizon)."""

    family = FAMILY

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = (config or ForecastConfig()).validate()
        self.net: Any = None
        self.result: ForecastResult | None = None
        self.meta: dict[str, Any] = {}
        self._metrics: dict[str, Any] = {}

    # ------------------------------------------------------------------ contract

    def fit(self, store: Store, config: ForecastConfig | None = None, progress: Progress = no_progress) -> dict[str, Any]:
        """Build the request's series from the store, backtest, fit and forecast; returns the backtest summary."""
        if config is not None:
            self.config = config.validate()
        progress(0.0, f"reading {self.config.metric} by {self.config.by}")
        return self.fit_series(build_series(store, self.config), progress=progress)

    def fit_series(self, series: SeriesSet, progress: Progress = no_progress) -> dict[str, Any]:
        """Fit on series already built (generated data, or a frame from elsewhere)."""
        self.result, self.net = run(series, self.config, progress)
        self._metrics = dict(self.result.summary)
        self._metrics["top_n"] = self.config.top_n
        self._metrics["data_hash"] = series.data_hash()
        self.meta = {"names": list(series.names), "country_of": dict(series.country_of),
                     "home_country": series.home_country, "variances": self._variances().tolist(),
                     "additive": bool(self.result.summary["reconciled"])}
        return self._metrics

    def predict(self, inputs: SeriesSet | pd.DataFrame) -> pd.DataFrame:
        """The network's forecast of the horizon after each series' history (a SeriesSet or a long frame series,
        ts, y), closed days zero; the series the model was fitted on are reconciled as in the fit when the history
        is the same hierarchy. (The fit's chosen forecast per series is `result.forecast`.)
        """
        if self.net is None:
            raise RuntimeError("the forecast model is not fitted yet: call fit() or load a saved one")
        from . import _net

        series = inputs if isinstance(inputs, SeriesSet) else SeriesSet.from_frame(
            inputs, self.config.freq, self.config.metric, self.config.by)
        if series.freq != self.config.freq:
            raise ValueError(f"the model forecasts freq {self.config.freq}, the history is freq {series.freq}")
        if not series.country_of and self.meta.get("country_of"):
            series.country_of = {n: c for n, c in self.meta["country_of"].items() if n in series.names}
        series.home_country = series.home_country or self.meta.get("home_country")
        t_len = len(series.periods)
        h, n = self.config.horizon, len(series.names)
        future = series.future_periods(h)
        cal = calendar_matrix(series, h)
        closed = learn_closed(series.values, series.periods, t_len, future, holiday_names(series, h),
                              self.config.table == "orders", self.config.freq).mask
        out = apply_closed(_net.forecast(self.net, series.values, cal, t_len), closed)
        if self.meta.get("additive") and list(series.names) == self.meta.get("names") and series.additive():
            out = reconcile(out, np.asarray(self.meta["variances"], dtype=float),
                            nonneg=_net.non_negative(series.values), fixed=closed)
        return pd.DataFrame({"series": np.repeat(series.names, h), "ts": np.tile(future, n),
                             "p10": out[:, :, 0].reshape(-1), "p50": out[:, :, 1].reshape(-1),
                             "p90": out[:, :, 2].reshape(-1), "mean": out[:, :, 3].reshape(-1)})[FORECAST_COLUMNS]

    def save(self, path: str | Path) -> Path:
        """Weights, then the run's tables, then forecast.json (written last by write_meta)."""
        import torch

        if self.net is None:
            raise RuntimeError("nothing to save: the forecast model is not fitted")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        weights = folder / _WEIGHTS
        torch.save(self.net.state_dict(), weights)
        files = [weights]
        if self.result is not None:
            tables = folder / _RESULT
            tables.write_text(json.dumps(_result_to_json(self.result), default=str), encoding="utf-8")
            files.append(tables)
        write_meta(folder, FAMILY, {"config": self.config.to_dict(), "metrics": self._metrics,
                                    "n_cal": self._n_cal(), **self.meta}, files)
        self.path = folder
        return folder

    @classmethod
    def load(cls, path: str | Path) -> ForecastModel:
        """Restore a saved model; a missing or corrupt file raises ModelLoadError naming it."""
        import torch

        from . import _net

        folder = Path(path)
        meta = read_meta(folder, FAMILY)
        model = cls(ForecastConfig.from_dict(meta["config"]))
        try:
            state = torch.load(folder / _WEIGHTS, map_location="cpu", weights_only=True)
            net = _net.build(model.config, int(meta["n_cal"]))
            net.load_state_dict(state)
        except Exception as exc:  # whatever torch raises on a bad file, the user sees one clear error
            raise ModelLoadError(f"{FAMILY} model at {folder} is corrupt: file {_WEIGHTS} is unreadable ({exc})") from exc
        net.eval()
        model.net = net
        model._metrics = dict(meta.get("metrics") or {})
        model.meta = {k: meta[k] for k in ("names", "country_of", "home_country", "variances", "additive") if k in meta}
        if (folder / _RESULT).is_file():
            model.result = _result_from_json(json.loads((folder / _RESULT).read_text(encoding="utf-8")), model.config)
        model.path = folder
        return model

    @property
    def data_hash(self) -> str | None:
        """Fingerprint of the data the model was fitted on (SeriesSet.data_hash)."""
        return self._metrics.get("data_hash")

    @property
    def metrics(self) -> dict[str, Any]:
        """The backtest summary of the fit (overall and per-series MASE beside the baselines, coverage, times)."""
        return self._metrics

    # ------------------------------------------------------------------ helpers

    def _n_cal(self) -> int:
        """Calendar features per period the network was built for."""
        return n_features(self.config.freq)

    def _variances(self) -> np.ndarray:
        """Per-series squared backtest error of the model: the reconciliation weights for later predictions."""
        assert self.result is not None
        p = self.result.points.dropna(subset=["actual"])
        err = (p["p50"] - p["actual"]) ** 2
        by = err.groupby(p["series"]).mean()
        return np.array([by.get(n, np.nan) for n in self.result.table["series"]], dtype=float)


_FRAMES = ("forecast", "table", "points", "alternatives", "anomalies", "history", "holidays")


def _result_to_json(result: ForecastResult) -> dict[str, Any]:
    """The run's tables as JSON records (small: one row per series x period)."""
    out: dict[str, Any] = {"summary": result.summary}
    for name in _FRAMES:
        out[name] = json.loads(getattr(result, name).to_json(orient="split", date_format="iso", index=False))
    return out


def _result_from_json(data: dict[str, Any], config: ForecastConfig) -> ForecastResult:
    """Inverse of _result_to_json, with timestamp columns restored."""
    frames = {}
    for name in _FRAMES:
        if name not in data:  # a run saved before this frame existed
            continue
        d = data[name]
        df = pd.DataFrame(d["data"], columns=d["columns"])
        for col in ("ts", "origin"):
            if col in df.columns:
                df[col] = pd.to_datetime(df[col]).dt.tz_localize(None) if len(df) else pd.to_datetime(df[col])
        frames[name] = df
    return ForecastResult(config=config, summary=data["summary"], **frames)


REGISTRY = Registry(FAMILY, ForecastModel.load, train_hint="storelens forecast --metric revenue --by total")

# What makes two forecasts the same request (the page finds a saved forecast by these), and how many versions of
# one request are kept: the newest and two before it to compare with or roll back to.
REQUEST_KEYS = ("metric", "by", "freq", "horizon", "top_n")
KEEP_PER_REQUEST = 3


def register_forecast(store: "Store", model: ForecastModel, report: dict[str, Any]) -> str:
    """Register a fitted forecast as the active version and delete that request's versions beyond the newest
    KEEP_PER_REQUEST, so a forecast run every day does not fill the disk; returns the new version."""

    def save(folder: Path, version: str, _created: object) -> None:
        model.version = version
        model.save(folder)

    version, _ = REGISTRY.register(store, save, report, data_hash=model.data_hash)
    REGISTRY.prune(store, KEEP_PER_REQUEST, lambda m: all(m.get(k) == report.get(k) for k in REQUEST_KEYS))
    return version
