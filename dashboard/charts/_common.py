"""What every chart module shares: the blank chart that says why, and user text made inert for plotly.

Plotly renders a few HTML tags inside text (<b>, <a>, <br>), so every label that comes from an upload is
HTML-escaped first: product and category names are shown as the text they are.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

__all__ = ["FREQ_NAMES", "LABELS", "empty_figure", "safe", "template_safe"]

FREQ_NAMES = {"D": "day", "W": "week", "M": "month"}
LABELS = ("negative", "neutral", "positive")


def safe(value: object) -> str:
    """User text as inert plotly text."""
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def template_safe(value: object) -> str:
    """User text inside a hovertemplate: HTML-escaped, and '%' made inert so it is no template field."""
    return safe(value).replace("%", "&#37;")


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=html.escape(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10))
    return fig
