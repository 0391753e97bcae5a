"""What the Forecasts page asks for: the request's choices, the saved forecast that matches the current data (or
why there is none), starting a forecast in the background, the series table, the rows behind an anomaly, and
whether negative reviews lead sales. Caching only through services.cache."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from engine.forecast import (
    DIMENSIONS,
    LEADLAG_TEST,
    METHOD_LABELS,
    METRICS,
    OTHER,
    REGISTRY,
    REQUEST_KEYS,
    TOTAL,
    ForecastConfig,
    ForecastModel,
    register_forecast,
)
from engine.models import ModelLoadError
from engine.sentiment import trends as sentiment_trends

from . import cache
from .background import Job, ended_unfinished, start_job
from .display import chance_reading, duration, plain
from .session import data_version, db_path, store

__all__ = [
    "METRIC_LABELS", "DIMENSION_LABELS", "FREQ_LABELS", "HORIZONS", "LEADLAG_TEST", "dimensions", "request",
    "data_key", "current_hash", "saved_forecast", "start_forecast", "forecast_outcome", "series_table", "verdict",
    "method_label", "closed_note", "run_estimate",
    "anomaly_table", "anomaly_rows", "lead_lag", "lead_lag_table", "MASE_HELP", "SEASON_NAMES",
]

METRIC_LABELS: dict[str, str] = {"revenue": "Revenue", "units": "Units", "orders": "Orders",
                                 "negative_share": "Share of negative reviews", "sentiment": "Mean sentiment"}
DIMENSION_LABELS: dict[str, str] = {TOTAL: "Total only", "category": "Category", "country": "Country",
                                    "product_id": "Product (top N)", "product_name": "Product name (top N)",
                                    "currency": "Currency", "status": "Status"}
FREQ_LABELS: dict[str, str] = {"D": "Daily", "W": "Weekly"}
SEASON_NAMES: dict[str, str] = {"D": "week", "W": "year"}  # what seasonal naive repeats at each frequency
MASE_HELP = ("MASE (mean absolute scaled error): the forecast's average miss divided by that of seasonal naive, "
             "which repeats the last season (the same day last week for daily series, the same week last year for "
             "weekly ones). Below 1 beats it; 0.80 misses a fifth less.")
HORIZONS: dict[str, list[int]] = {"D": [7, 14, 28, 56, 91], "W": [4, 8, 13, 26]}


def dimensions(metric: str) -> list[str]:
    """The splits a metric can be forecast by (reviews have no country)."""
    return [TOTAL, *(d for d in DIMENSIONS[METRICS[metric]] if d in DIMENSION_LABELS and d not in ("status",))]


def request(metric: str, by: str, freq: str, horizon: int, top_n: int = 10) -> dict[str, Any]:
    """A validated request as the plain dict the caches key on."""
    config = ForecastConfig(metric=metric, by=by, freq=freq, horizon=int(horizon), top_n=int(top_n)).validate()
    return {"metric": config.metric, "by": config.by, "freq": config.freq, "horizon": config.horizon,
            "top_n": config.top_n}


def data_key(metric: str) -> int | str:
    """The data version a request's cache entries depend on (uploads; for review metrics also the scores)."""
    if METRICS[metric] == "reviews":
        return sentiment_trends.data_version(store())
    return data_version()


def current_hash(req: dict[str, Any]) -> tuple[str | None, str | None]:
    """(fingerprint of the request's data, None) or (None, why it cannot be forecast)."""
    try:
        return cache.forecast_data_hash(db_path(), data_key(req["metric"]), req), None
    except ValueError as exc:  # InsufficientDataError included: no data of that kind yet
        return None, str(exc)


def saved_forecast(req: dict[str, Any]) -> tuple[ForecastModel | None, str | None]:
    """The newest saved forecast of this request and whether it is current: (model, None) when it matches the data,
    (model, 'older data') when the data changed since, (None, None) when there is none."""
    data_hash, _ = current_hash(req)
    older = None
    for row in REGISTRY.list(store()).itertuples(index=False):
        m = row.metrics or {}
        if not row.available or any(m.get(k) != v for k, v in req.items()):
            continue
        if data_hash is not None and row.data_hash == data_hash:
            model = _load(row.version)
            if model is not None:
                return model, None
        older = older or row.version
    model = _load(older) if older is not None else None
    return (model, "older data") if model is not None else (None, None)


def run_estimate(req: dict[str, Any]) -> str:
    """How long a run of `req` will take, said before it starts: the pace of the newest finished run on this database
    (seconds per series and period: backtest, training and forecast grow with both), else a plain range."""
    try:
        n_series, n_periods = cache.forecast_shape(db_path(), data_key(req["metric"]), req)
    except ValueError:
        return "a few minutes at most"
    for row in REGISTRY.list(store()).itertuples(index=False):  # newest first
        m = row.metrics or {}
        cells = (m.get("n_series") or 0) * (m.get("n_periods") or 0)
        spent = sum(m.get(k) or 0 for k in ("seconds_backtest", "seconds_train", "seconds_forecast"))
        if cells and spent:
            return f"about {duration(max(5.0, spent / cells * n_series * n_periods))} (from the last run's pace)"
    return ("under a minute for a few series of a few months; several minutes for ten series of a year of days "
            f"(this one: {n_series} series, {n_periods} periods)")


def _load(version: str) -> ForecastModel | None:
    """A saved version, or None when its files are broken (the page then offers to run it again)."""
    try:
        return cache.forecast_model(db_path(), version)
    except ModelLoadError:
        return None


def start_forecast(req: dict[str, Any]) -> Job:
    """Backtest, fit and forecast the request in the background and register it as a forecast version."""
    s = store()

    def work(job: Job) -> dict:
        model = ForecastModel(ForecastConfig(**req))
        report = model.fit(s, progress=job.update)
        version = register_forecast(s, model, report)
        return {"model_version": version, **report}

    return start_job("forecast", dict(req), work)


def forecast_outcome(job: Job) -> tuple[str, str] | None:
    """What a finished forecast job did (level, Markdown-safe sentence); None for other jobs or while it runs."""
    if job.kind != "forecast" or job.running:
        return None
    r = job.result or {}
    if job.status == "done":
        return "success", (f"Forecast {plain(r.get('model_version'))} ready in {duration(job.elapsed)}: "
                           f"{r.get('n_series')} series backtested from {len(r.get('origins', []))} origins.")
    return ended_unfinished(job, "The forecast")


def series_table(model: ForecastModel) -> pd.DataFrame:
    """One row per series, sorted by expected change (largest rise first): the shown forecast's MASE beside the
    network and every baseline, coverage, which method is shown and which did best, and the days it is closed."""
    t = model.result.table.copy()
    for col in ("method", "closed"):  # runs saved before these existed
        if col not in t.columns:
            t[col] = "model" if col == "method" else None
    t["forecast shown"] = t["method"].map(lambda m: METHOD_LABELS.get(m, m))
    t["best method"] = t["winner"].map(lambda m: METHOD_LABELS.get(m, m))
    t["forecast vs weekday median"] = t["mase_model"] / t.get("mase_weekday_median", float("nan"))
    cols = ["series", "expected_change", "last_period", "next_period", "forecast shown", "mase_model", "mase_network",
            "mase_weekday_median", "mase_seasonal_naive", "mase_auto_ets", "mase_auto_theta", "mase_croston",
            "mase_fracast", "forecast vs weekday median", "coverage_80", "best method", "model_loses", "closed",
            "sparse"]
    cols = [c for c in cols if c in t.columns]
    return t[cols].sort_values("expected_change", ascending=False, na_position="last").reset_index(drop=True)


def method_label(model: ForecastModel, series: str) -> str:
    """The name of the method whose forecast is shown for a series."""
    row = model.result.table.set_index("series").loc[series]
    return METHOD_LABELS.get(row.get("method", "model"), "forecast")


def closed_note(model: ForecastModel, series: str) -> str | None:
    """'Closed on Saturdays, learned from your orders' for a series with closed days ahead, else None."""
    row = model.result.table.set_index("series").loc[series]
    note = row.get("closed")
    return None if note is None or pd.isna(note) else plain(str(note)[:1].upper() + str(note)[1:] + ".")


def verdict(model: ForecastModel, series: str) -> tuple[str, str]:
    """(level, sentence) on how this series' forecast has done: against the weekday median and seasonal naive,
    and whether another method did best in the backtest."""
    row = model.result.table.set_index("series").loc[series]
    mase, naive = row["mase_model"], row["mase_seasonal_naive"]
    median = row.get("mase_weekday_median", float("nan"))
    if pd.isna(mase) or pd.isna(naive):
        return "info", "Too little variation in this series to score the backtest."
    shown = METHOD_LABELS.get(row.get("method", "model"), "the forecast")
    best = METHOD_LABELS.get(row["winner"], row["winner"])
    last = SEASON_NAMES.get(model.config.freq, "season")
    vs = (f"error {mase:.2f}; repeating last {last} (seasonal naive) {naive:.2f}"
          + ("" if pd.isna(median) else f", weekday median {median:.2f}"))
    if row["model_loses"] or (not pd.isna(median) and mase > median):
        return "warning", (f"The forecast shown ({shown}) loses to a simple method here ({vs}); {best} did best in "
                           f"the backtest.")
    best_mase = row[f"mase_{row['winner']}"]
    if row["winner"] not in ("model", row.get("method")) and best_mase < mase:
        return "info", (f"Shown: {shown} ({vs}). {best} did best in the backtest (error {best_mase:.2f}), not by "
                        "enough over enough windows to switch to it.")
    return "success", f"Shown: {shown}, which beats the simple methods here ({vs})."


def anomaly_table(model: ForecastModel) -> pd.DataFrame:
    """Last window's actuals outside the model's 80% interval, furthest out first."""
    a = model.result.anomalies.copy()
    if not a.empty:
        a["ts"] = pd.to_datetime(a["ts"]).dt.date
    return a


def anomaly_rows(model: ForecastModel, series: str, period: date, limit: int = 200) -> pd.DataFrame:
    """The order lines (or reviews) behind one anomaly."""
    cfg = model.config
    req = {k: getattr(cfg, k) for k in REQUEST_KEYS}
    top_keys = tuple(n for n in model.result.table["series"] if n not in (TOTAL, OTHER))
    return cache.forecast_rows(db_path(), data_key(cfg.metric), req, top_keys, series, period, limit)


def lead_lag(max_lag: int = 8) -> pd.DataFrame:
    """Does the weekly negative-review share lead revenue, per category."""
    return cache.sentiment_leads_sales(db_path(), sentiment_trends.data_version(store()), max_lag)


def lead_lag_table(lead: pd.DataFrame) -> pd.DataFrame:
    """The lead/lag rows with a plain reading of each one's p-value first, in place of the statistical note."""
    table = lead.drop(columns=["note"], errors="ignore")
    table.insert(1, "reading", [chance_reading(p) for p in table["p_adjusted"]])
    return table
