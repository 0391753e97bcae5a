"""One forecast run, honestly evaluated: a rolling-origin backtest of the network against seasonal naive,
AutoETS and AutoTheta on the same cut points, then the final fit, reconciliation, the winner per series and the
last window's anomalies. Everything the CLI and the page show comes out of `run`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from engine.models import InsufficientDataError, Progress, no_progress

from ._baselines import BASELINES, LABELS, baseline_forecast, effective_season
from ._calendar import calendar_matrix
from ._config import FREQS, ForecastConfig
from ._reconcile import reconcile
from ._series import SeriesSet

METHODS = ("model", *BASELINES)
FORECAST_COLUMNS = ["series", "ts", "p10", "p50", "p90", "mean"]
REVIEW_METRICS = ("negative_share", "sentiment")


@dataclass
class ForecastResult:
    """A run's forecasts, track record and anomalies, as frames the CLI and the page use directly."""

    config: ForecastConfig
    forecast: pd.DataFrame  # series, ts, p10, p50, p90, mean: the network's, reconciled when additive
    table: pd.DataFrame  # one row per series: MASE per method, coverage, winner, expected change
    points: pd.DataFrame  # backtest: one row per series, origin and step with actual and every method
    alternatives: pd.DataFrame  # where a baseline wins: its forecast (series, ts, method, p10, p50, p90, mean)
    anomalies: pd.DataFrame  # last backtest window: actuals outside the model's 80% interval
    history: pd.DataFrame  # series, ts, y
    summary: dict[str, Any] = field(default_factory=dict)


def origin_cuts(n_periods: int, config: ForecastConfig) -> list[int]:
    """Backtest cut points (history length at each origin), the last one leaving exactly one horizon to check.

    Origins are one horizon apart; on a short history they move closer (overlapping windows) rather than fewer.
    """
    h, k = config.horizon, config.origins
    min_train = max(2 * effective_season(n_periods - h * k, config.season), 8, min(config.input_size, 2 * h))
    unit = FREQS[config.freq]
    step = h
    if n_periods - h - (k - 1) * step < min_train and k > 1:
        step = (n_periods - h - min_train) // (k - 1)
    first = n_periods - h - (k - 1) * step
    if step < 1 or first < min_train:
        need = min_train + h + (k - 1)
        raise InsufficientDataError(
            f"the series are too short to backtest: {n_periods} {unit}s of history, but a {h}-{unit} horizon "
            f"checked from {k} origins needs at least {need}; shorten --horizon or use a finer --freq")
    return [first + j * step for j in range(k)]


def mase_scale(y: np.ndarray, season: int) -> float:
    """In-sample mean absolute seasonal difference (the MASE denominator); plain differences if that is 0."""
    y = np.asarray(y, dtype=float)
    for m in (effective_season(len(y), season), 1):
        if len(y) > m:
            d = np.abs(y[m:] - y[:-m])
            d = d[np.isfinite(d)]
            if len(d) and d.mean() > 0:
                return float(d.mean())
    return float("nan")


def _mean_over(y: np.ndarray) -> float:
    """Mean of the observed values (NaN when none)."""
    y = y[np.isfinite(y)]
    return float(y.mean()) if len(y) else float("nan")


def run(series: SeriesSet, config: ForecastConfig, progress: Progress = no_progress) -> tuple[ForecastResult, Any]:
    """Backtest, fit and forecast every series of the request; returns the result and the final network."""
    from . import _net

    config.validate()
    values = series.values
    n, t_len = values.shape
    observed = np.isfinite(values).sum(axis=1)
    if observed.max(initial=0) == 0:
        raise InsufficientDataError(f"there is no {config.metric} data to forecast")
    cuts = origin_cuts(t_len, config)
    try:  # one more origin before the reported ones, used only to calibrate the intervals of the first
        all_cuts = origin_cuts(t_len, replace(config, origins=config.origins + 1))
    except InsufficientDataError:
        all_cuts = cuts
    calibrating = len(all_cuts) > len(cuts)
    cuts = all_cuts[1:] if calibrating else cuts
    h = config.horizon
    cal = calendar_matrix(series, h)
    additive = series.additive()
    started = time.perf_counter()
    n_fits = len(all_cuts) + 1
    records: list[dict[str, Any]] = []
    model_err: list[np.ndarray] = []
    scores: list[np.ndarray] = []  # interval scores of earlier origins: split-conformal, rolling forward
    for j, cut in enumerate(all_cuts):
        label = "calibration origin" if calibrating and j == 0 else f"backtest origin {j + int(not calibrating)}"
        base = j / n_fits
        progress(base, f"{label}: training")
        net = _net.train(values, cal, cut, config,
                         lambda f, msg, b=base, lab=label: progress(b + 0.8 * f / n_fits, f"{lab}: {msg}"))
        raw = _net.forecast(net, values, cal, cut)
        scales = np.array([mase_scale(values[i, :cut], config.season) for i in range(n)])
        fc = reconcile(raw, scales ** 2) if additive else raw
        steps = min(h, t_len - cut)
        actual = values[:, cut:cut + steps]
        widened = widen(fc, interval_factor(scores))
        scores.append(interval_scores(fc[:, :steps], actual))
        if calibrating and j == 0:
            continue
        fc = widened
        progress(base + 0.8 / n_fits, f"{label}: baselines")
        model_err.append(fc[:, :steps, 1] - actual)
        for i, name in enumerate(series.names):
            bl = {b: baseline_forecast(b, values[i, :cut], h, config.season)[0] for b in config.baselines}
            for s in range(steps):
                rec = {"series": name, "origin": series.periods[cut], "ts": series.periods[cut + s], "step": s + 1,
                       "actual": actual[i, s], "scale": scales[i], "p10": fc[i, s, 0], "p50": fc[i, s, 1],
                       "p90": fc[i, s, 2], "mean": fc[i, s, 3], "p50_unreconciled": raw[i, s, 1]}
                for b, out in bl.items():
                    rec[b], rec[f"{b}_lo"], rec[f"{b}_hi"] = out[s, 1], out[s, 0], out[s, 2]
                records.append(rec)
    backtest_seconds = time.perf_counter() - started
    points = pd.DataFrame.from_records(records)

    progress(len(all_cuts) / n_fits, "final fit on the whole history")
    t0 = time.perf_counter()
    net = _net.train(values, cal, t_len, config,
                     lambda f, msg: progress((len(all_cuts) + 0.9 * f) / n_fits, f"final fit: {msg}"))
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = _net.forecast(net, values, cal, t_len)
    err = np.concatenate(model_err, axis=1)
    with np.errstate(invalid="ignore"):
        variances = np.nanmean(err ** 2, axis=1)
    factor = interval_factor(scores)
    final = widen(reconcile(raw, variances) if additive else raw, factor)
    forecast_seconds = time.perf_counter() - t0
    future = series.future_periods(h)
    forecast = pd.DataFrame({
        "series": np.repeat(series.names, h), "ts": np.tile(future, n),
        "p10": final[:, :, 0].reshape(-1), "p50": final[:, :, 1].reshape(-1),
        "p90": final[:, :, 2].reshape(-1), "mean": final[:, :, 3].reshape(-1),
    })

    table = _series_table(series, config, points, final)
    alternatives = _alternatives(series, config, table, future)
    anomalies = _anomalies(points)
    progress(1.0, "done")
    result = ForecastResult(config, forecast, table, points, alternatives, anomalies, series.to_frame())
    result.summary = _summary(series, config, table, points, cuts, additive, train_seconds, forecast_seconds,
                              backtest_seconds)
    result.summary["interval_factor"] = round(factor, 4)
    result.summary["calibration_origin"] = str(series.periods[all_cuts[0]].date()) if calibrating else None
    return result, net


def interval_scores(fc: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """How far each actual lies out relative to its side of the interval: <= 1 inside the p10-p90 band."""
    p10, p50, p90 = fc[..., 0], fc[..., 1], fc[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (actual - p50) / np.maximum(p90 - p50, 1e-9)
        down = (p50 - actual) / np.maximum(p50 - p10, 1e-9)
    s = np.where(actual >= p50, up, down)
    return s[np.isfinite(s)]


def interval_factor(scores: list[np.ndarray], lo: float = 0.5, hi: float = 4.0) -> float:
    """Width multiplier that would have put 80% of earlier origins' actuals inside (1 with no history); clipped so
    one freak window cannot make the intervals explode or vanish."""
    pooled = np.concatenate(scores) if scores else np.array([])
    if len(pooled) < 10:
        return 1.0
    return float(np.clip(np.quantile(pooled, 0.8), lo, hi))


def widen(fc: np.ndarray, factor: float) -> np.ndarray:
    """Scale p10 and p90's distance from p50 by `factor` (p50 and the mean unchanged, so sums still add up)."""
    out = fc.copy()
    out[..., 0] = fc[..., 1] - factor * (fc[..., 1] - fc[..., 0])
    out[..., 2] = fc[..., 1] + factor * (fc[..., 2] - fc[..., 1])
    return out


def _series_table(series: SeriesSet, config: ForecastConfig, points: pd.DataFrame, final: np.ndarray) -> pd.DataFrame:
    """Per series: MASE of each method (mean over origins), the model's 80% coverage, the winner, the change."""
    rows = []
    h = config.horizon
    review = config.metric in REVIEW_METRICS
    for i, name in enumerate(series.names):
        p = points[(points["series"] == name) & points["actual"].notna()]
        row: dict[str, Any] = {"series": name}
        for method in METHODS:
            col = "p50" if method == "model" else method
            if method != "model" and method not in config.baselines:
                row[f"mase_{method}"] = float("nan")
                continue
            per_origin = (p[col] - p["actual"]).abs().groupby(p["origin"]).mean() / p.groupby("origin")["scale"].first()
            row[f"mase_{method}"] = float(per_origin.mean()) if per_origin.notna().any() else float("nan")
        inside = (p["actual"] >= p["p10"]) & (p["actual"] <= p["p90"])
        row["coverage_80"] = float(inside.mean()) if len(p) else float("nan")
        row["interval_width"] = float(((p["p90"] - p["p10"]) / p["scale"]).mean()) if len(p) else float("nan")
        scores = {m: row[f"mase_{m}"] for m in METHODS if np.isfinite(row[f"mase_{m}"])}
        row["winner"] = min(scores, key=scores.get) if scores else "model"
        row["model_loses"] = bool(np.isfinite(row["mase_model"]) and np.isfinite(row["mase_seasonal_naive"])
                                  and row["mase_model"] >= row["mase_seasonal_naive"])
        recent = series.values[i, -h:]
        if review:
            before, ahead = _mean_over(recent), _mean_over(final[i, :, 1])
            row["expected_change"] = ahead - before
        else:
            before, ahead = float(np.nansum(recent)), float(final[i, :, 1].sum())
            row["expected_change"] = (ahead - before) / abs(before) if before else float("nan")
        row["last_period"], row["next_period"] = before, ahead
        row["sparse"] = bool(series.sparse[i])
        row["n_periods"] = int(np.isfinite(series.values[i]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _alternatives(series: SeriesSet, config: ForecastConfig, table: pd.DataFrame,
                  future: pd.DatetimeIndex) -> pd.DataFrame:
    """The winning baseline's forecast for every series where the network does not win."""
    frames = []
    for row in table.itertuples(index=False):
        if row.winner == "model":
            continue
        i = series.names.index(row.series)
        out, _ = baseline_forecast(row.winner, series.values[i], config.horizon, config.season)
        frames.append(pd.DataFrame({"series": row.series, "ts": future, "method": row.winner,
                                    "method_label": LABELS[row.winner], "p10": out[:, 0], "p50": out[:, 1],
                                    "p90": out[:, 2], "mean": out[:, 1]}))
    cols = ["series", "ts", "method", "method_label", "p10", "p50", "p90", "mean"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _anomalies(points: pd.DataFrame) -> pd.DataFrame:
    """Actuals of the last backtest window outside the model's 80% interval, the furthest out first."""
    cols = ["series", "ts", "actual", "p10", "p50", "p90", "direction", "severity"]
    if points.empty:
        return pd.DataFrame(columns=cols)
    last = points[points["origin"] == points["origin"].max()].dropna(subset=["actual"])
    out = last[(last["actual"] < last["p10"]) | (last["actual"] > last["p90"])].copy()
    out["direction"] = np.where(out["actual"] > out["p90"], "above", "below")
    width = (out["p90"] - out["p10"]).where(lambda w: w > 0, 1.0)
    out["severity"] = np.where(out["direction"] == "above", out["actual"] - out["p90"], out["p10"] - out["actual"]) / width
    return out[cols].sort_values("severity", ascending=False).reset_index(drop=True)


def _summary(series: SeriesSet, config: ForecastConfig, table: pd.DataFrame, points: pd.DataFrame,
             cuts: list[int], additive: bool, train_s: float, forecast_s: float, backtest_s: float) -> dict[str, Any]:
    """The JSON-able report (the registry's metrics and the CLI's --json), overall figures beside baselines."""
    def clean(x: Any) -> Any:
        return None if isinstance(x, float) and not np.isfinite(x) else x

    overall = {f"mase_{m}": clean(float(table[f"mase_{m}"].mean())) for m in METHODS}
    inside = points.dropna(subset=["actual"])
    coverage = float(((inside["actual"] >= inside["p10"]) & (inside["actual"] <= inside["p90"])).mean()) \
        if len(inside) else float("nan")
    return {
        "metric": config.metric, "by": config.by, "freq": config.freq, "horizon": config.horizon,
        "n_series": len(series.names), "n_periods": len(series.periods),
        "history_start": str(series.periods[0].date()), "history_end": str(series.periods[-1].date()),
        "origins": [str(series.periods[c].date()) for c in cuts],
        **overall, "coverage_80": clean(coverage), "reconciled": additive,
        "model_wins_share": clean(float((table["winner"] == "model").mean())),
        "series_model_loses": table.loc[table["model_loses"], "series"].tolist(),
        "seconds_train": round(train_s, 3), "seconds_forecast": round(forecast_s, 4),
        "seconds_backtest": round(backtest_s, 3), "seed": config.seed,
        "series": [
            {"series": r.series, "mase": clean(r.mase_model), "baseline_mase": clean(r.mase_seasonal_naive),
             "coverage_80": clean(r.coverage_80), "ets_mase": clean(r.mase_auto_ets),
             "theta_mase": clean(r.mase_auto_theta), "winner": r.winner, "model_loses": r.model_loses,
             "sparse": r.sparse}
            for r in table.itertuples(index=False)
        ],
    }
