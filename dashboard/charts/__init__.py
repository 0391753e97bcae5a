"""Plotly figures for the pages, one module per domain: pure functions of DataFrames (no Streamlit, no database),
with every label that comes from an upload HTML-escaped."""

from ._common import empty_figure
from .explain import ATTRIBUTION_COLOURS, drivers_bar, explanation_words
from .forecast import fan_chart, lead_lag_bars, selected_anomaly
from .models import confusion_matrix
from .recommend import attribution_bar
from .sales import revenue_over_time, top_products_bar
from .segments import (
    SEGMENT_COLOURS,
    backtest_bars,
    churn_distribution,
    reliability_curve,
    segment_map,
    segment_profile,
    selected_customers,
)
from .sentiment import (
    LABEL_COLOURS,
    category_sentiment,
    language_mix,
    negative_by_language,
    rating_vs_sentiment,
    selected_point,
    sentiment_shares,
    sentiment_small_multiples,
)

__all__ = [
    "empty_figure",
    "revenue_over_time",
    "top_products_bar",
    "LABEL_COLOURS",
    "sentiment_shares",
    "sentiment_small_multiples",
    "category_sentiment",
    "language_mix",
    "negative_by_language",
    "rating_vs_sentiment",
    "selected_point",
    "confusion_matrix",
    "attribution_bar",
    "ATTRIBUTION_COLOURS",
    "explanation_words",
    "drivers_bar",
    "fan_chart",
    "lead_lag_bars",
    "selected_anomaly",
    "SEGMENT_COLOURS",
    "segment_map",
    "selected_customers",
    "segment_profile",
    "churn_distribution",
    "reliability_curve",
    "backtest_bars",
]
