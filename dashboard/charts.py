"""Plotly figures for the pages: pure functions of DataFrames (no Streamlit, no database).

Plotly renders a few HTML tags inside text (<b>, <a>, <br>), so every label that comes from an upload is
HTML-escaped first: product and category names are shown as the text they are.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

__all__ = [
    "revenue_over_time", "top_products_bar", "empty_figure",
    "LABEL_COLOURS", "sentiment_shares", "sentiment_small_multiples", "category_sentiment", "rating_vs_sentiment",
    "confusion_matrix", "selected_point",
]

_FREQ_NAMES = {"D": "day", "W": "week", "M": "month"}


def _safe(value: object) -> str:
    """User text as inert plotly text."""
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def empty_figure(message: str) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=html.escape(message), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10))
    return fig


def revenue_over_time(df: pd.DataFrame, freq: str = "W") -> go.Figure:
    """Stacked area of revenue per period by category (df: period, category, revenue)."""
    if df.empty:
        return empty_figure("No revenue in the selected range")
    wide = df.pivot_table(index="period", columns="category", values="revenue", aggfunc="sum", fill_value=0.0)
    wide = wide.sort_index()
    # Biggest categories at the bottom of the stack, so the eye reads them first.
    wide = wide[wide.sum().sort_values(ascending=False).index]
    fig = go.Figure()
    unit = _FREQ_NAMES.get(freq, "period")
    for category in wide.columns:
        name = _safe(category)
        fig.add_trace(go.Scatter(
            x=wide.index, y=wide[category], name=name, mode="lines", stackgroup="revenue", line=dict(width=0.5),
            hovertemplate=f"{name}<br>%{{x|%Y-%m-%d}}: %{{y:,.2f}}<extra></extra>",
        ))
    fig.update_layout(
        title=f"Revenue per {unit} by category", height=380, margin=dict(l=10, r=10, t=50, b=10),
        hovermode="x unified", legend=dict(orientation="h", yanchor="bottom", y=-0.3),
        yaxis_title="Revenue", xaxis_title=None,
    )
    return fig


def top_products_bar(df: pd.DataFrame) -> go.Figure:
    """Horizontal bars of the top products' revenue, best at the top (df: product_id, product_name, revenue)."""
    if df.empty:
        return empty_figure("No products sold in the selected range")
    names = [
        _safe(name if isinstance(name, str) and name else pid)
        for name, pid in zip(df["product_name"], df["product_id"])
    ]
    labels, seen = [], set()
    for name, pid in zip(names, df["product_id"]):
        label = name if len(name) <= 40 else name[:39] + "…"
        if label in seen:  # two products with one name must stay two bars
            label = f"{label} ({_safe(pid)})"
        seen.add(label)
        labels.append(label)
    fig = go.Figure(go.Bar(
        x=df["revenue"][::-1], y=labels[::-1], orientation="h", customdata=names[::-1],
        hovertemplate="%{customdata}: %{x:,.2f}<extra></extra>",
    ))
    fig.update_layout(
        title="Top products by revenue", height=max(260, 28 * len(df) + 80), margin=dict(l=10, r=10, t=50, b=10),
        xaxis_title="Revenue", yaxis=dict(type="category"),
    )
    return fig


# ---------------------------------------------------------------------------------------------- sentiment
# Clickable charts carry customdata = [period ISO date or "", category or "", label, count of label, reviews];
# selected_point() turns a Streamlit selection back into (period, category, label) for the review list.

LABEL_COLOURS = {"negative": "#d62728", "neutral": "#a8a8a8", "positive": "#2ca02c"}
_LABELS = ("negative", "neutral", "positive")


def _tpl(value: object) -> str:
    """User text inside a hovertemplate: HTML-escaped, and '%' made inert so it is no template field."""
    return _safe(value).replace("%", "&#37;")


def _share_bars(df: pd.DataFrame, freq: str, category: str | None, show_legend: bool = True) -> list[go.Bar]:
    """Three stacked bar traces (negative at the bottom) of one category's shares per period."""
    unit = _FREQ_NAMES.get(freq, "period")
    name = _tpl(category if category is not None else "All categories")
    periods = pd.to_datetime(df["period"])
    iso = [p.strftime("%Y-%m-%d") for p in periods]
    traces = []
    for label in _LABELS:
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
    unit = _FREQ_NAMES.get(freq, "period")
    title = f"Sentiment per {unit}: {_safe(category) if category is not None else 'all categories'}"
    fig.update_layout(
        title=title, barmode="stack", height=380, margin=dict(l=10, r=10, t=50, b=10), bargap=0.1,
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
    fig = make_subplots(rows=rows, cols=cols, shared_xaxes=True, shared_yaxes=True, vertical_spacing=0.06,
                        horizontal_spacing=0.04, subplot_titles=[_safe(c) for c in order])
    for i, category in enumerate(order):
        part = df[df["category"] == category].sort_values("period")
        for trace in _share_bars(part, freq, category, show_legend=i == 0):
            fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(
        barmode="stack", bargap=0.1, height=max(300, 190 * rows + 60), margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02), clickmode="event+select",
        title=f"Sentiment per {_FREQ_NAMES.get(freq, 'period')} by category",
    )
    return fig


def category_sentiment(df: pd.DataFrame) -> go.Figure:
    """Category comparison: stacked label shares per category, and beside them the average star rating and,
    where the model scored reviews, its average P(positive) (df: category_comparison)."""
    if df.empty:
        return empty_figure("No labelled reviews in the selected range")
    from plotly.subplots import make_subplots

    df = df.sort_values("share_negative")  # most negative at the top of the chart
    names = [_safe(c) for c in df["category"]]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.66, 0.34], horizontal_spacing=0.07,
                        subplot_titles=["Share of reviews", "Average rating (1–5)"])
    for label in _LABELS:
        custom = [["", c, label, int(k), int(n)] for c, k, n in zip(df["category"], df[f"n_{label}"], df["n"])]
        fig.add_trace(go.Bar(
            y=names, x=df[f"share_{label}"], orientation="h", name=label, marker_color=LABEL_COLOURS[label],
            customdata=custom, legendgroup=label,
            hovertemplate=f"%{{y}}<br>{label}: %{{x:.0%}} (%{{customdata[3]}} of %{{customdata[4]}})<extra></extra>",
        ), row=1, col=1)
    fig.add_trace(go.Scatter(
        y=names, x=df["avg_rating"], mode="markers+text", name="avg. rating", marker=dict(size=11, color="#1f77b4"),
        text=[f"{v:.2f}" if pd.notna(v) else "" for v in df["avg_rating"]], textposition="middle right",
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
    fig.update_xaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_xaxes(range=[1, 5.6], row=1, col=2)
    fig.update_layout(
        barmode="stack", height=max(300, 36 * len(df) + 130), margin=dict(l=10, r=10, t=50, b=10),
        yaxis=dict(type="category"), legend=dict(orientation="h", yanchor="bottom", y=-0.35),
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
    unit = _FREQ_NAMES.get(freq, "period")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(
        x=df["period"], y=df["avg_rating"], name="average rating", mode="lines+markers", line=dict(color="#1f77b4"),
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
    who = _safe(category) if category is not None else "all categories"
    fig.update_yaxes(title_text="Average rating", range=[1, 5], secondary_y=False)
    fig.update_yaxes(title_text="Net sentiment", range=[-1, 1], secondary_y=True, showgrid=False)
    fig.update_layout(
        title=f"Average rating beside sentiment per {unit}: {who}", height=340,
        margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=-0.35),
    )
    return fig


def confusion_matrix(cm: list[list[int]] | None, labels: list[str] | tuple[str, ...] = _LABELS,
                     title: str = "Confusion matrix (held-out reviews)") -> go.Figure:
    """Heatmap of true (rows) against predicted (columns) labels, each cell with its count and row share."""
    if not cm:
        return empty_figure("No confusion matrix in this version's report")
    import numpy as np

    z = np.asarray(cm, dtype=float)
    rows = z.sum(axis=1, keepdims=True)
    share = np.divide(z, rows, out=np.zeros_like(z), where=rows > 0)
    names = [_safe(label) for label in labels]
    text = [[f"{int(z[i, j])}<br>{share[i, j]:.0%}" for j in range(z.shape[1])] for i in range(z.shape[0])]
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
        showscale=False, hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
    ))
    fig.update_layout(
        title=title, height=340, margin=dict(l=10, r=10, t=50, b=10),
        xaxis=dict(title="Predicted", side="bottom"), yaxis=dict(title="True (from stars)", autorange="reversed"),
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
        if isinstance(custom, (list, tuple)) and len(custom) >= 3 and custom[2] in _LABELS:
            period = pd.Timestamp(custom[0]) if custom[0] else None
            return {"period": period, "category": custom[1] or None, "label": custom[2]}
    return None


# -------------------------------------------------------------------------------------------- explanations
# Colours of engine.explain.highlight_html, so bars and highlighted words read the same way.

ATTRIBUTION_COLOURS = {"toward_negative": "rgb(215,48,39)", "toward_positive": "rgb(69,117,180)"}

__all__ += ["ATTRIBUTION_COLOURS", "explanation_words", "drivers_bar"]


def explanation_words(tokens: list[dict], target: str | None = None, k: int = 15) -> go.Figure:
    """The k words with the largest |attribution| of one explanation (repeats of a word, any case, summed),
    largest at the top; coloured like the highlighted review (tokens: ReviewExplanation.tokens / as_dict())."""
    agg: dict[str, list] = {}  # lower-cased word -> [first spelling, summed attribution, occurrences]
    for t in tokens or []:
        word = str(t.get("token", ""))
        try:
            a = float(t.get("attribution"))
        except (TypeError, ValueError):
            continue
        if not any(ch.isalnum() for ch in word) or pd.isna(a):
            continue
        row = agg.setdefault(word.lower(), [word, 0.0, 0])
        row[1] += a
        row[2] += 1
    if not agg:
        return empty_figure("No words to show")
    top = sorted(agg.values(), key=lambda r: (-abs(r[1]), r[0]))[:k][::-1]
    blue = -1.0 if target == "negative" else 1.0  # the sign that highlight_html shows in blue
    colours = [ATTRIBUTION_COLOURS["toward_positive" if blue * r[1] > 0 else "toward_negative"] for r in top]
    labels = [_safe(r[0] if len(r[0]) <= 30 else r[0][:29] + "…") for r in top]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # two long words cut to one label must stay two bars
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} ({seen[label]})"
    fig = go.Figure(go.Bar(
        x=[r[1] for r in top], y=labels, orientation="h", marker_color=colours, customdata=[r[2] for r in top],
        hovertemplate="%{y}: %{x:+.4f} (%{customdata}×)<extra></extra>",
    ))
    what = f"P({_safe(target)})" if target else "the explained probability"
    fig.update_layout(
        title="Top words by attribution", height=max(240, 26 * len(top) + 90), margin=dict(l=10, r=10, t=50, b=10),
        xaxis=dict(title=f"attribution to {what}", zeroline=True, zerolinewidth=1, zerolinecolor="#888"),
        yaxis=dict(type="category"), showlegend=False,
    )
    return fig


def drivers_bar(df: pd.DataFrame, toward: str, k: int = 10) -> go.Figure:
    """Top driver terms toward 'negative' or 'positive' (df: explain.top_drivers rows), strongest at the top:
    bar = total attribution over the sampled reviews, label = how many of them contain the term."""
    if toward not in ("negative", "positive"):
        raise ValueError("toward must be 'negative' or 'positive'")
    if df is None or df.empty:
        return empty_figure(f"No words push these reviews toward {toward}")
    df = df.head(k).iloc[::-1]
    col = f"total_toward_{toward}"
    change = df.get(f"change_toward_{toward}")
    custom = [[int(n), float(m), ("new" if c is None or pd.isna(c) else f"{c:+.3f}")]
              for n, m, c in zip(df["n_reviews"], df[f"mean_toward_{toward}"],
                                 change if change is not None else [None] * len(df))]
    fig = go.Figure(go.Bar(
        x=df[col], y=[_safe(t) for t in df["term"]], orientation="h",
        marker_color=ATTRIBUTION_COLOURS[f"toward_{toward}"], customdata=custom,
        text=[f"{int(n)} reviews" for n in df["n_reviews"]], textposition="auto",
        hovertemplate="%{y}: total %{x:.3f} in %{customdata[0]} reviews, %{customdata[1]:+.3f} per review "
                      "(vs previous period: %{customdata[2]})<extra></extra>",
    ))
    fig.update_layout(
        title=f"Toward {toward}", height=max(240, 28 * len(df) + 90), margin=dict(l=10, r=10, t=50, b=10),
        xaxis_title=f"summed attribution to P({toward})", yaxis=dict(type="category"), showlegend=False,
    )
    return fig
