"""One forecast run, honestly evaluated: a rolling-origin backtest of the network against the weekday median,
seasonal naive, AutoETS, AutoTheta, Croston and (where installed) Fracast on the same cut points; per series the
method that did best on earlier origins is the forecast shown, closed days are zero, bands of series that never
went below zero stay above it; then the final fit, reconciliation and the last window's anomalies. Everything the
CLI and the page show comes out of `run`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from engine.models import InsufficientDataError, Progress, no_progress

from ._baselines import BASELINES, LABELS, baseline_forecasts, effective_season, fracast_available
from ._calendar import calendar_matrix, holiday_names
from ._closed import ClosedDays, apply_closed, hurdle, learn_closed, zero_share
from ._config import FREQS, ForecastConfig
from ._reconcile import reconcile
from ._series import SeriesSet

CHOSEN = "model"  # the forecast the user gets: per series, the method that did best on earlier origins
NETWORK, ENSEMBLE = "network", "ensemble"
# The default forecast: the mean of the network, the weekday median and Fracast (where installed). Chosen on the
# retail log's backtest (daily revenue by country, 3 origins): 0.826 mean MASE against 0.837 / 0.836 / 0.838 for
# each alone and 0.834 without Fracast; checked afterwards on the split it was not chosen on (docs).
ENSEMBLE_OF = (NETWORK, "weekday_median", "fracast")
SWITCH, SWITCH_ORIGINS = 0.90, 3  # another method replaces it for a series only at 90% of its MASE or less, on
# every one of at least 3 earlier origins: at 95% on 2 origins, switching lost more than it won
METHODS = (CHOSEN, NETWORK, ENSEMBLE, *BASELINES)
FORECAST_COLUMNS = ["series", "ts", "p10", "p50", "p90", "mean"]
REVIEW_METRICS = ("negative_share", "sentiment")


@dataclass
class ForecastResult:
    """A run's forecasts, track record and anomalies, as frames the CLI and the page use directly."""

    config: ForecastConfig
    forecast: pd.DataFrame  # series, ts, p10, p50, p90, mean, method, closed: the chosen method's, reconciled
    table: pd.DataFrame  # one row per series: MASE per method, coverage, the chosen method, expected change
    points: pd.DataFrame  # backtest: one row per series, origin and step with actual and every method
    alternatives: pd.DataFrame  # where a baseline is chosen: the network's forecast (series, ts, method, p10..mean)
    anomalies: pd.DataFrame  # last backtest window: actuals outside the chosen forecast's 80% interval
    history: pd.DataFrame  # series, ts, y
    summary: dict[str, Any] = field(default_factory=dict)
    holidays: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["series", "ts", "name"]))


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


def active_baselines(config: ForecastConfig) -> tuple[str, ...]:
    """The request's baselines that can run here (Fracast only where its package is installed)."""
    return tuple(b for b in config.baselines if b != "fracast" or fracast_available())


@dataclass
class _Origin:
    """Every method's forecast from one cut: (n, h, 4) p10/p50/p90/mean, closed days already zero."""

    cut: int
    fc: dict[str, np.ndarray]
    closed: ClosedDays
    nonneg: np.ndarray


def _forecasts(net: Any, series: SeriesSet, cal: np.ndarray, holidays: list[dict], cut: int, h: int,
               config: ForecastConfig, baselines: tuple[str, ...]) -> _Origin:
    """The network's and every baseline's forecast of the h periods after `cut`, from the history before it."""
    from . import _net

    values = series.values
    hist = values[:, :cut]
    ahead = (series.periods.append(series.future_periods(h)))[cut:cut + h]
    closed = learn_closed(values, series.periods, cut, ahead, holidays, config.table == "orders", config.freq)
    nonneg = _net.non_negative(hist)
    fc = {NETWORK: _net.forecast(net, values, cal, cut)}
    for b in baselines:
        out = baseline_forecasts(b, hist, h, config.season)
        fc[b] = np.concatenate([out, out[..., 1:2]], axis=-1)  # a baseline's mean is its point forecast
    members = [m for m in ENSEMBLE_OF if m in fc]
    if len(members) > 1:  # averaging quantiles (Vincentization) gives a valid band
        fc[ENSEMBLE] = sum(fc[m] for m in members) / len(members)
    p_zero = zero_share(values, series.periods, cut, ahead, config.season, holidays)
    fc = {m: apply_closed(hurdle(non_negative_band(f, nonneg), p_zero, nonneg), closed.mask) for m, f in fc.items()}
    return _Origin(cut, fc, closed, nonneg)


def non_negative_band(fc: np.ndarray, nonneg: np.ndarray) -> np.ndarray:
    """A method's forecast read as non-negative for the series that never went below zero: a point below zero is
    zero, and a p10 below zero moves to p50 * exp(-(p50 - p10) / p50) (the same distance below the median on a log
    scale, the first-order equal of a log-normal band), so baselines with normal intervals stay usable."""
    out = np.array(fc, dtype=float, copy=True)
    rows = np.asarray(nonneg, dtype=bool)
    if not rows.any():
        return out
    f = out[rows]
    for k in (1, 2, 3):
        f[..., k] = np.maximum(f[..., k], 0.0)
    p50, p10 = f[..., 1], f[..., 0]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        moved = np.where(p50 > 0, p50 * np.exp(-np.maximum(p50 - p10, 0.0) / p50), 0.0)
    f[..., 0] = np.where(p10 < 0, moved, np.minimum(p10, p50))
    out[rows] = f
    return out


def _mase_rows(fc: np.ndarray, actual: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Per series: mean absolute error of the point forecast over the checked steps, relative to its scale."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nanmean(np.abs(fc[:, : actual.shape[1], 1] - actual), axis=1) / scales


def _choose(past: list[dict[str, np.ndarray]], candidates: list[str], n: int) -> list[str]:
    """Per series, the method to show: the default (the ensemble, else the network) unless another method beat it
    on every earlier origin, at least SWITCH_ORIGINS of them, by 10% or more on average. Picking the lowest MASE of
    few windows among eight methods chose by luck (0.90 against the ensemble's 0.83 on the retail log)."""
    default = ENSEMBLE if ENSEMBLE in candidates else NETWORK
    if len(past) < SWITCH_ORIGINS:
        return [default] * n
    out = []
    for i in range(n):
        base = np.array([p[default][i] for p in past])
        best, best_score = default, float(np.mean(base))
        for m in candidates:
            mine = np.array([p[m][i] for p in past])
            if not np.isfinite(mine).all() or not np.isfinite(base).all():
                continue
            if (mine < base).all() and mine.mean() <= SWITCH * base.mean() and mine.mean() < best_score:
                best, best_score = m, float(mine.mean())
        out.append(best)
    return out


def _shown(origin: _Origin, choice: list[str], factors: dict[str, np.ndarray], variances: np.ndarray,
           additive: bool) -> np.ndarray:
    """The forecast the user gets from one origin: per series the chosen method's, its band widened by that
    method's calibration factor; on a split that adds up, the means are reconciled so they add up to the total's
    (closed days stay zero). Medians and bands are left as they are: the median of a sum is not the sum of the
    medians (of intermittent series least of all), and moving them broke both the medians and the bands' coverage."""
    out = np.stack([widen(origin.fc[m][i], factors[m][i] if m in factors else 1.0, origin.nonneg[i])
                    for i, m in enumerate(choice)])
    if additive:
        out[..., 3] = reconcile(out, variances, nonneg=origin.nonneg, fixed=origin.closed.mask)[..., 3]
    return apply_closed(out, origin.closed.mask)


def run(series: SeriesSet, config: ForecastConfig, progress: Progress = no_progress) -> tuple[ForecastResult, Any]:
    """Backtest, fit and forecast every series of the request; returns the result and the final network.

    At every origin each method (the network, the baselines, the network + weekday median average) forecasts from
    the history before it; per series, the method with the lowest MASE on the earlier origins is the forecast
    shown (the network before there are any), so the reported MASE of the chosen forecast is out of sample too.
    Each method's band is widened by the factor that would have put 80% of earlier origins' actuals inside.
    """
    from . import _net

    config.validate()
    values = series.values
    n, t_len = values.shape
    observed = np.isfinite(values).sum(axis=1)
    if observed.max(initial=0) == 0:
        raise InsufficientDataError(f"there is no {config.metric} data to forecast")
    cuts = origin_cuts(t_len, config)
    try:  # one more origin before the reported ones: it calibrates and chooses for the first
        all_cuts = origin_cuts(t_len, replace(config, origins=config.origins + 1))
    except InsufficientDataError:
        all_cuts = cuts
    calibrating = len(all_cuts) > len(cuts)
    cuts = all_cuts[1:] if calibrating else cuts
    h = config.horizon
    baselines = active_baselines(config)
    cal = calendar_matrix(series, h)
    holidays = holiday_names(series, h)
    additive = series.additive()
    started = time.perf_counter()
    n_fits = len(all_cuts) + 1
    records: list[dict[str, Any]] = []
    scores: dict[str, list[list[np.ndarray]]] = {}  # per method, origin and series: interval scores
    past: list[dict[str, np.ndarray]] = []  # per origin: MASE per method and series
    for j, cut in enumerate(all_cuts):
        label = "calibration origin" if calibrating and j == 0 else f"backtest origin {j + int(not calibrating)}"
        base = j / n_fits
        progress(base, f"{label}: training")
        net = _net.train(values, cal, cut, config,
                         lambda f, msg, b=base, lab=label: progress(b + 0.8 * f / n_fits, f"{lab}: {msg}"))
        progress(base + 0.8 / n_fits, f"{label}: baselines")
        origin = _forecasts(net, series, cal, holidays, cut, h, config, baselines)
        scales = np.array([mase_scale(values[i, :cut], config.season) for i in range(n)])
        steps = min(h, t_len - cut)
        actual = values[:, cut:cut + steps]
        factors = {m: series_factors(scores.get(m, []), n) for m in origin.fc}
        choice = _choose(past, list(origin.fc), n)
        shown = _shown(origin, choice, factors, scales ** 2, additive)
        open_days = ~origin.closed.mask[:, :steps]
        for m, f in origin.fc.items():
            scores.setdefault(m, []).append([
                interval_scores(f[i:i + 1, :steps], actual[i:i + 1], origin.nonneg[i:i + 1], open_days[i:i + 1])
                for i in range(n)])
        past.append({m: _mase_rows(f, actual, scales) for m, f in origin.fc.items()})
        if calibrating and j == 0:
            continue
        for i, name in enumerate(series.names):
            for s in range(steps):
                rec = {"series": name, "origin": series.periods[cut], "ts": series.periods[cut + s], "step": s + 1,
                       "actual": actual[i, s], "scale": scales[i], "p10": shown[i, s, 0], "p50": shown[i, s, 1],
                       "p90": shown[i, s, 2], "mean": shown[i, s, 3], "method": choice[i],
                       "closed": bool(origin.closed.mask[i, s])}
                for m, f in origin.fc.items():
                    rec[m], rec[f"{m}_lo"], rec[f"{m}_hi"] = f[i, s, 1], f[i, s, 0], f[i, s, 2]
                records.append(rec)
    backtest_seconds = time.perf_counter() - started
    points = pd.DataFrame.from_records(records)

    progress(len(all_cuts) / n_fits, "final fit on the whole history")
    t0 = time.perf_counter()
    net = _net.train(values, cal, t_len, config,
                     lambda f, msg: progress((len(all_cuts) + 0.9 * f) / n_fits, f"final fit: {msg}"))
    train_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    origin = _forecasts(net, series, cal, holidays, t_len, h, config, baselines)
    choice = _choose(past, list(origin.fc), n)
    factors = {m: series_factors(v, n) for m, v in scores.items()}
    err = (points["p50"] - points["actual"]) ** 2
    variances = err.groupby(points["series"]).mean().reindex(series.names).to_numpy(dtype=float)
    final = _shown(origin, choice, factors, variances, additive)
    forecast_seconds = time.perf_counter() - t0
    future = series.future_periods(h)
    forecast = pd.DataFrame({
        "series": np.repeat(series.names, h), "ts": np.tile(future, n),
        "p10": final[:, :, 0].reshape(-1), "p50": final[:, :, 1].reshape(-1),
        "p90": final[:, :, 2].reshape(-1), "mean": final[:, :, 3].reshape(-1),
        "method": np.repeat(choice, h), "closed": origin.closed.mask.reshape(-1),
    })
    network = np.stack([widen(origin.fc[NETWORK][i], factors[NETWORK][i], origin.nonneg[i]) for i in range(n)])

    table = _series_table(series, config, points, final, choice, origin)
    alternatives = _alternatives(series, table, future, network)
    anomalies = _anomalies(points)
    progress(1.0, "done")
    result = ForecastResult(config, forecast, table, points, alternatives, anomalies, series.to_frame(),
                            holidays=_holiday_frame(series, holidays, future))
    result.summary = _summary(series, config, table, points, cuts, additive, train_seconds, forecast_seconds,
                              backtest_seconds)
    result.summary["interval_factor"] = {m: round(interval_factor([x for o in v for x in o]), 4)
                                         for m, v in scores.items()}
    result.summary["calibration_origin"] = str(series.periods[all_cuts[0]].date()) if calibrating else None
    return result, net


def interval_scores(fc: np.ndarray, actual: np.ndarray, nonneg: np.ndarray | None = None,
                    keep: np.ndarray | None = None) -> np.ndarray:
    """How far each actual lies out relative to its side of the interval: <= 1 inside the p10-p90 band. Below the
    median of a non-negative series the distance is measured on a log scale, as `widen` widens it; `keep` (closed
    days left out) selects the cells that count."""
    p10, p50, p90 = fc[..., 0], fc[..., 1], fc[..., 2]
    nonneg = np.zeros(fc.shape[0], dtype=bool) if nonneg is None else np.asarray(nonneg, dtype=bool)
    log_side = np.broadcast_to(nonneg.reshape((-1,) + (1,) * (p50.ndim - 1)), p50.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = (actual - p50) / np.maximum(p90 - p50, 1e-9)
        down = (p50 - actual) / np.maximum(p50 - p10, 1e-9)
        log_down = np.log(p50 / actual) / np.log(p50 / p10)
    log_down = np.where(p10 <= 0, np.where(actual >= 0, 0.0, np.inf), np.where(actual <= 0, np.inf, log_down))
    down = np.where(log_side & (p50 > 0), log_down, down)
    s = np.where(actual >= p50, up, down)
    if keep is not None:
        s = s[np.asarray(keep, dtype=bool)]
    s = np.asarray(s, dtype=float).reshape(-1)
    return s[~np.isnan(s)]


def interval_factor(scores: list[np.ndarray], lo: float = 0.5, hi: float = 4.0) -> float:
    """Width multiplier that would have put 80% of earlier origins' actuals inside (1 with no history); clipped so
    one freak window cannot make the intervals explode or vanish."""
    pooled = np.concatenate(scores) if scores else np.array([])
    if len(pooled) < 10:
        return 1.0
    return float(np.clip(np.quantile(pooled, 0.8), lo, hi))


def series_factors(scores: list[list[np.ndarray]], n: int, own_min: int = 20) -> np.ndarray:
    """(n,) width factors from earlier origins' scores (per origin, per series): the geometric mean of the factor
    pooled over every series and the series' own (with at least `own_min` scores), so a big, volatile series and a
    quiet one both get about 80% without one window of one series deciding."""
    pooled = interval_factor([x for origin in scores for x in origin])
    out = np.full(n, pooled)
    for i in range(n):
        own = [origin[i] for origin in scores if i < len(origin)]
        if sum(len(x) for x in own) >= own_min:
            out[i] = float(np.sqrt(pooled * interval_factor(own)))
    return out


def widen(fc: np.ndarray, factor: float, nonneg: np.ndarray | bool = False) -> np.ndarray:
    """Scale p10 and p90's distance from p50 by `factor` (p50 and the mean unchanged, so sums still add up); below
    the median of a non-negative series on a log scale (p10 = p50 * (p10 / p50) ** factor), so it stays >= 0."""
    out = np.array(fc, dtype=float, copy=True)
    p10, p50, p90 = fc[..., 0], fc[..., 1], fc[..., 2]
    flag = np.asarray(nonneg, dtype=bool)
    side = np.broadcast_to(flag.reshape(flag.shape + (1,) * (p50.ndim - flag.ndim)), p50.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where((p50 > 0) & (p10 > 0), np.clip(p10 / p50, 0.0, 1.0) ** factor, 0.0)
    out[..., 0] = np.where(side, np.where(p50 > 0, p50 * ratio, np.minimum(p10, p50)), p50 - factor * (p50 - p10))
    out[..., 2] = p50 + factor * (p90 - p50)
    return out


def _series_table(series: SeriesSet, config: ForecastConfig, points: pd.DataFrame, final: np.ndarray,
                  choice: list[str], origin: _Origin) -> pd.DataFrame:
    """Per series: MASE of each method (mean over origins), the chosen forecast's 80% coverage, what it is and
    why closed days are zero, the expected change."""
    rows = []
    h = config.horizon
    review = config.metric in REVIEW_METRICS
    for i, name in enumerate(series.names):
        p = points[(points["series"] == name) & points["actual"].notna()]
        row: dict[str, Any] = {"series": name}
        for method in METHODS:
            col = "p50" if method == CHOSEN else method
            if col not in p.columns:
                row[f"mase_{method}"] = float("nan")
                continue
            per_origin = (p[col] - p["actual"]).abs().groupby(p["origin"]).mean() / p.groupby("origin")["scale"].first()
            row[f"mase_{method}"] = float(per_origin.mean()) if per_origin.notna().any() else float("nan")
        inside = (p["actual"] >= p["p10"]) & (p["actual"] <= p["p90"])
        row["coverage_80"] = float(inside.mean()) if len(p) else float("nan")
        row["interval_width"] = float(((p["p90"] - p["p10"]) / p["scale"]).mean()) if len(p) else float("nan")
        scores = {m: row[f"mase_{m}"] for m in METHODS[1:] if np.isfinite(row[f"mase_{m}"])}
        row["winner"] = min(scores, key=scores.get) if scores else NETWORK
        row["method"] = choice[i]
        row["model_loses"] = bool(np.isfinite(row["mase_model"]) and np.isfinite(row["mase_seasonal_naive"])
                                  and row["mase_model"] >= row["mase_seasonal_naive"])
        row["closed"] = origin.closed.reason(i)
        row["never_negative"] = bool(origin.nonneg[i])
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


def _alternatives(series: SeriesSet, table: pd.DataFrame, future: pd.DatetimeIndex,
                  network: np.ndarray) -> pd.DataFrame:
    """The network's own forecast for every series where another method is shown, to compare with."""
    frames = []
    for row in table.itertuples(index=False):
        if row.method == NETWORK:
            continue
        i = series.names.index(row.series)
        out = network[i]
        frames.append(pd.DataFrame({"series": row.series, "ts": future, "method": NETWORK,
                                    "method_label": LABELS[NETWORK], "p10": out[:, 0], "p50": out[:, 1],
                                    "p90": out[:, 2], "mean": out[:, 3]}))
    cols = ["series", "ts", "method", "method_label", "p10", "p50", "p90", "mean"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _holiday_frame(series: SeriesSet, holidays: list[dict], future: pd.DatetimeIndex) -> pd.DataFrame:
    """Per series, the public holidays of its calendar over the history and the horizon (series, ts, name)."""
    last = future[-1] if len(future) else series.periods[-1]
    rows = [(name, pd.Timestamp(d), label) for name, days in zip(series.names, holidays)
            for d, label in days.items() if series.periods[0] <= pd.Timestamp(d) <= last]
    return pd.DataFrame(rows, columns=["series", "ts", "name"])


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
    hit = (inside["actual"] >= inside["p10"]) & (inside["actual"] <= inside["p90"])
    coverage = float(hit.mean()) if len(inside) else float("nan")
    opened = ~inside["closed"].astype(bool) if len(inside) else inside["actual"].astype(bool)
    coverage_open = float(hit[opened].mean()) if opened.any() else float("nan")
    return {
        "metric": config.metric, "by": config.by, "freq": config.freq, "horizon": config.horizon,
        "n_series": len(series.names), "n_periods": len(series.periods),
        "history_start": str(series.periods[0].date()), "history_end": str(series.periods[-1].date()),
        "origins": [str(series.periods[c].date()) for c in cuts],
        **overall, "coverage_80": clean(coverage), "coverage_80_open_days": clean(coverage_open),
        "reconciled": additive, "methods": [m for m in METHODS if np.isfinite(table[f"mase_{m}"]).any()],
        "model_wins_share": clean(float((table["method"] == NETWORK).mean())),
        "series_model_loses": table.loc[table["model_loses"], "series"].tolist(),
        "seconds_train": round(train_s, 3), "seconds_forecast": round(forecast_s, 4),
        "seconds_backtest": round(backtest_s, 3), "seed": config.seed,
        "series": [
            {"series": r.series, "mase": clean(r.mase_model), "baseline_mase": clean(r.mase_seasonal_naive),
             "coverage_80": clean(r.coverage_80), "network_mase": clean(r.mase_network),
             "weekday_median_mase": clean(r.mase_weekday_median), "ets_mase": clean(r.mase_auto_ets),
             "theta_mase": clean(r.mase_auto_theta), "method": r.method, "winner": r.winner,
             "model_loses": r.model_loses, "sparse": r.sparse, "closed": r.closed}
            for r in table.itertuples(index=False)
        ],
    }
