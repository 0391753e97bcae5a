"""Sentiment charts of the Sentiment page: label shares over time and by category, rating beside sentiment, and the
click-through from a chart point back to its reviews.

Clickable charts carry customdata = [period ISO date or "", category or "", label ("" for all), count of label,
reviews];
selected_point() turns a Streamlit selection back into (period, category, label) for the review list.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._common import FREQ_NAMES, LABELS, chart_title, empty_figure, safe, template_safe

__all__ = ["LABEL_COLOURS", "sentiment_shares", "sentiment_small_multiples", "category_sentiment",
           "rating_vs_sentiment", "selected_point", "language_mix", "negative_by_language"]

LABEL_COLOURS = {"negative": "#d62728", "neutral": "#a8a8a8", "positive": "#2ca02c"}


def _share_bars(df: pd.DataFrame, freq: str, category: str | None, show_legend: bool = True) -> list[go.Bar]:
    """Three stacked bar traces (negative at the bottom) of one category's shares per period."""
    unit = FREQ_NAMES.get(freq, "period")
    name = template_safe(category if category is not None else "All categories")
    periods = pd.to_datetime(df["period"])
    iso = [p.strftime("%Y-%m-%d") for p in periods]
    traces = []
    for label in LABELS:
        custom = [[d, category or "", label, int(k), int(n)] for d, k, n in zip(iso, df[f"n_{label}"], df["n"])]
        traces.append(go.Bar(
            x=periods, y=df[f"share_{label}"], name=label, marker_color=LABEL_COLOURS[label], customdata=custom,
            legendgroup=label, showlegend=show_legend,
            hovertemplate=f"{name}<br>{unit} of %{{x|%Y-%m-%d}}<br>{label}: %{{y:.0%}} "
                          "(%{customdata[3]} of %{customdata[4]})<extra></extra>",
        ))
    return traces


def sentiment_shares(df: pd.DataFrame, freq: str = "W", category: str | None = None) -> go.Figure:
    """Stacked negative/neutral/positive shares per period of one category (df: sentiment_by_period rows of
    that category, or combine_categories' rows for all of them; category None means all)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    df = df.sort_values("period")
    fig = go.Figure(_share_bars(df, freq, category))
    unit = FREQ_NAMES.get(freq, "period")
    title = f"Sentiment per {unit}: {safe(category) if category is not None else 'all categories'}"
    fig.update_layout(
        title=chart_title(title), barmode="stack", height=380, margin=dict(l=10, r=10, t=10, b=10), bargap=0.1,
        yaxis=dict(title="Share of reviews", tickformat=".0%", range=[0, 1]), xaxis_title=None,
        legend=dict(orientation="h", yanchor="bottom", y=-0.3), clickmode="event+select",
    )
    return fig


def sentiment_small_multiples(df: pd.DataFrame, freq: str = "W", max_categories: int = 12) -> go.Figure:
    """One small stacked-share chart per category (the most-reviewed first), shared axes (df: sentiment_by_period)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    from plotly.subplots import make_subplots

    order = df.groupby("category")["n"].sum().sort_values(ascending=False).index[:max_categories].tolist()
    cols = 2 if len(order) > 1 else 1
    rows = -(-len(order) // cols)
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True,
                        vertical_spacing=min(0.08, 0.3 / max(rows, 1)),
                        horizontal_spacing=0.04, subplot_titles=[safe(c) for c in order])
    for i, category in enumerate(order):
        part = df[df["category"] == category].sort_values("period")
        for trace in _share_bars(part, freq, category, show_legend=i == 0):
            fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(  # no legend to collide with the panel titles: the title names the three colours
        barmode="stack", bargap=0.1, height=max(300, 190 * rows + 70), margin=dict(l=10, r=10, t=40, b=10),
        showlegend=False, clickmode="event+select",
        title=chart_title(f"Sentiment per {FREQ_NAMES.get(freq, 'period')} by category: <span style='color:#d62728'>"
                          "negative</span>, <span style='color:#7f7f7f'>neutral</span>, <span style='color:#2ca02c'>"
                          "positive</span>"),
    )
    return fig


def category_sentiment(df: pd.DataFrame) -> go.Figure:
    """Category comparison: stacked label shares per category, and beside them the average star rating and,
    where the model scored reviews, its average P(positive) (df: category_comparison)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    from plotly.subplots import make_subplots

    df = df.sort_values("share_negative")  # most negative at the top of the chart
    names = [safe(c) for c in df["category"]]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.6, 0.4], horizontal_spacing=0.1,
                        subplot_titles=["Share of reviews", "Stars"])
    for label in LABELS:
        custom = [["", c, label, int(k), int(n)] for c, k, n in zip(df["category"], df[f"n_{label}"], df["n"])]
        fig.add_trace(go.Bar(
            y=names, x=df[f"share_{label}"], orientation="h", name=label, marker_color=LABEL_COLOURS[label],
            customdata=custom, legendgroup=label,
            hovertemplate=f"%{{y}}<br>{label}: %{{x:.0%}} (%{{customdata[3]}} of %{{customdata[4]}})<extra></extra>",
        ), row=1, col=1)
    fig.add_trace(go.Scatter(
        y=names, x=df["avg_rating"], mode="markers+text", name="avg. rating", marker=dict(size=11, color="#1f77b4"),
        text=[f"{v:.2f}" if pd.notna(v) else "" for v in df["avg_rating"]], textposition="middle right",
        cliponaxis=False,
        customdata=[["", c, "", 0, int(n)] for c, n in zip(df["category"], df["n"])],
        hovertemplate="%{y}: average rating %{x:.2f}<extra></extra>", showlegend=False,
    ), row=1, col=2)
    if "avg_p_positive" in df and df["avg_p_positive"].notna().any():
        # P(positive) mapped onto the rating axis (0 -> 1 star, 1 -> 5 stars) so the two sit side by side.
        fig.add_trace(go.Scatter(
            y=names, x=1 + 4 * df["avg_p_positive"], mode="markers", name="model: avg. P(positive), as 1–5",
            marker=dict(size=11, symbol="diamond-open", color="#ff7f0e", line=dict(width=2)),
            customdata=df["avg_p_positive"], hovertemplate="%{y}: model's average P(positive) %{customdata:.2f}"
                                                            "<extra></extra>",
        ), row=1, col=2)
    fig.update_xaxes(tickformat=".0%", range=[0, 1], tickvals=[0, 0.5, 1], row=1, col=1)
    fig.update_xaxes(range=[0.8, 6.2], tickvals=[1, 3, 5], row=1, col=2)
    fig.update_layout(
        barmode="stack", height=max(300, 36 * len(df) + 150), margin=dict(l=10, r=30, t=40, b=10),
        yaxis=dict(type="category", automargin=True), showlegend=False,  # the title names the colours
        title=chart_title("By category: <span style='color:#d62728'>negative</span>, "
                          "<span style='color:#7f7f7f'>neutral</span>, <span style='color:#2ca02c'>positive</span>"),
        clickmode="event+select",
    )
    return fig


def rating_vs_sentiment(df: pd.DataFrame, freq: str = "W", category: str | None = None) -> go.Figure:
    """Average star rating per period (left axis) beside net sentiment = share positive − share negative of the
    labels, and the model's average P(positive) − P(negative) where it scored reviews (right axis)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    from plotly.subplots import make_subplots

    df = df.sort_values("period")
    unit = FREQ_NAMES.get(freq, "period")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    iso = [pd.Timestamp(p).strftime("%Y-%m-%d") for p in df["period"]]
    fig.add_trace(go.Scatter(
        x=df["period"], y=df["avg_rating"], name="average rating", mode="lines+markers", line=dict(color="#1f77b4"),
        customdata=[[d, category or "", ""] for d in iso],
        hovertemplate=f"{unit} of %{{x|%Y-%m-%d}}: average rating %{{y:.2f}}<extra></extra>",
    ), secondary_y=False)
    fig.add_trace(go.Scatter(
        x=df["period"], y=df["share_positive"] - df["share_negative"], name="net sentiment (labels)",
        mode="lines", line=dict(color="#2ca02c", dash="dot"),
        hovertemplate=f"{unit} of %{{x|%Y-%m-%d}}: net sentiment %{{y:+.2f}}<extra></extra>",
    ), secondary_y=True)
    if "n_model" in df and (df["n_model"] > 0).any():
        fig.add_trace(go.Scatter(
            x=df["period"], y=df["avg_p_positive"] - df["avg_p_negative"], name="model: P(pos) − P(neg)",
            mode="lines", line=dict(color="#ff7f0e"),
            hovertemplate=f"{unit} of %{{x|%Y-%m-%d}}: model %{{y:+.2f}}<extra></extra>",
        ), secondary_y=True)
    who = safe(category) if category is not None else "all categories"
    fig.update_yaxes(title_text="Average rating", range=[1, 5], secondary_y=False)
    fig.update_yaxes(title_text="Net sentiment", range=[-1, 1], secondary_y=True, showgrid=False)
    fig.update_layout(
        title=chart_title(f"Average rating beside sentiment per {unit}: {who}"), height=340,
        margin=dict(l=10, r=10, t=10, b=10), hovermode="closest", clickmode="event+select",
        legend=dict(orientation="h", yanchor="bottom", y=-0.35),
    )
    return fig


def selected_point(state: object) -> dict | None:
    """{'period': Timestamp | None, 'category': str | None, 'label': str | None} of the first point selected in
    one of the clickable sentiment charts (state: st.plotly_chart's event, its session-state value, or its
    'selection'); None when nothing usable is selected."""
    if state is None:
        return None
    getter = state.get if hasattr(state, "get") else (lambda k, d=None: getattr(state, k, d))
    selection = getter("selection", None)
    if selection is None and getter("points", None) is not None:
        selection = state
    if selection is None:
        return None
    points = selection.get("points") if hasattr(selection, "get") else getattr(selection, "points", None)
    for point in points or []:
        custom = point.get("customdata") if hasattr(point, "get") else None
        if isinstance(custom, (list, tuple)) and len(custom) >= 3 and custom[2] in (*LABELS, ""):
            period = pd.Timestamp(custom[0]) if custom[0] else None
            return {"period": period, "category": custom[1] or None, "label": custom[2] or None}
    return None


def language_mix(df: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    """The shop's languages: labelled reviews per language, split into negative / neutral / positive
    (df: engine.sentiment.trends.language_shares without periods; `names`: code -> name shown)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    df = df.iloc[::-1]  # most reviews at the top
    ys = [safe(names.get(c, c)) for c in df["language"]]
    fig = go.Figure()
    for label in LABELS:
        fig.add_trace(go.Bar(
            y=ys, x=df[f"n_{label}"], orientation="h", name=label, marker_color=LABEL_COLOURS[label],
            customdata=df[f"share_{label}"],
            hovertemplate=f"%{{y}}<br>{label}: %{{x:,}} reviews (%{{customdata:.0%}})<extra></extra>"))
    fig.update_layout(barmode="stack", height=max(220, 34 * len(df) + 120), margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(type="category", automargin=True), xaxis_title=None,  # the title says reviews
                      title=chart_title("Reviews per language"),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def negative_by_language(df: pd.DataFrame, names: dict[str, str], freq: str = "W") -> go.Figure:
    """Share of negative reviews per period, one line per language (df: language_shares with periods)."""
    if df.empty:
        return empty_figure("No dated, labelled reviews in the selected range")
    fig = go.Figure()
    for code, part in df.groupby("language", sort=False):
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["share_negative"], mode="lines+markers", name=safe(names.get(code, code)),
            customdata=part[["n_negative", "n"]].to_numpy(),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.0%} negative (%{customdata[0]} of %{customdata[1]})<extra></extra>"))
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10), yaxis=dict(tickformat=".0%", rangemode="tozero"),
                      title=chart_title(f"Negative share per {FREQ_NAMES.get(freq, freq)} and language"),
                      legend=dict(orientation="h", y=-0.2))
    return fig
