"""Trend forecasts with intervals and their own track record: one global quantile network per request, averaged
with the weekday median and Fracast-0 and backtested against them, seasonal naive, AutoETS, AutoTheta and Croston
on the shop's own history; closed days learned and forecast as zero, bands that stay above zero where the series
always was, holidays as features and marks, means reconciled so the split adds up to the total; plus anomalies and
whether negative reviews lead sales. Heavy imports (torch, statsforecast, fracast) happen only when a forecast is
made."""

from ._backtest import FORECAST_COLUMNS, METHODS, ForecastResult, origin_cuts, run
from ._baselines import LABELS as METHOD_LABELS
from ._calendar import calendar_matrix
from ._config import DIMENSIONS, FREQS, METRICS, OTHER, TOTAL, ForecastConfig
from ._leadlag import TEST_NAME as LEADLAG_TEST
from ._leadlag import cross_correlation, sentiment_leads_sales
from ._model import FAMILY, KEEP_PER_REQUEST, REGISTRY, REQUEST_KEYS, ForecastModel, register_forecast
from ._reconcile import reconcile
from ._series import SeriesSet, build_series, rows_behind

__all__ = [
    "train_network",
    "forecast_network",
    "calendar_matrix",
    "FAMILY",
    "REGISTRY",
    "REQUEST_KEYS",
    "KEEP_PER_REQUEST",
    "register_forecast",
    "ForecastModel",
    "ForecastConfig",
    "ForecastResult",
    "SeriesSet",
    "METRICS",
    "DIMENSIONS",
    "FREQS",
    "TOTAL",
    "OTHER",
    "METHODS",
    "METHOD_LABELS",
    "FORECAST_COLUMNS",
    "LEADLAG_TEST",
    "build_series",
    "rows_behind",
    "run",
    "origin_cuts",
    "reconcile",
    "cross_correlation",
    "sentiment_leads_sales",
]


def __getattr__(name: str):
    """The network's own train/forecast (torch loads on first use), for benchmarks that time the model alone."""
    if name in ("train_network", "forecast_network"):
        from . import _net

        return _net.train if name == "train_network" else _net.forecast
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
