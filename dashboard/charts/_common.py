"""What every chart module shares: the blank chart that says why, and user text made inert for plotly.

Plotly renders a few HTML tags inside text (<b>, <a>, <br>), so every label that comes from an upload is
HTML-escaped first: product and category names are shown as the text they are.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

__all__ = ["FREQ_NAMES", "LABELS", "MODEBAR_ROOM", "chart_title", "empty_figure", "safe", "template_safe"]

FREQ_NAMES = {"D": "day", "W": "week", "M": "month"}
LABELS = ("negative", "neutral", "positive")
# Plotly draws its mode bar (zoom, lasso, download) over the top right of the figure while the mouse is on it; a
# title starts below that band, so hovering a chart never hides what it shows.
MODEBAR_ROOM = 30


def safe(value: object) -> str:
    """User text as inert plotly text."""
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def template_safe(value: object) -> str:
    """User text inside a hovertemplate: HTML-escaped, and '%' made inert so it is no template field."""
    return safe(value).replace("%", "&#37;")


def chart_title(text: str) -> dict:
    """A figure's title placed under the mode bar's band (the top margin grows to fit it), left-aligned."""
    return dict(text=text, x=0, xref="container", xanchor="left", yref="container", y=1, yanchor="top",
                pad=dict(t=MODEBAR_ROOM, b=8, l=4), automargin=True)


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=html.escape(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10))
    return fig
