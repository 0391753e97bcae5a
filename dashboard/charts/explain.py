"""Explanation charts of the Explain and Drivers pages, coloured like engine.explain.highlight_html so bars and
highlighted words read the same way."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._common import empty_figure, safe

__all__ = ["ATTRIBUTION_COLOURS", "explanation_words", "drivers_bar"]

ATTRIBUTION_COLOURS = {"toward_negative": "rgb(215,48,39)", "toward_positive": "rgb(69,117,180)"}


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
    labels = [safe(r[0] if len(r[0]) <= 30 else r[0][:29] + "…") for r in top]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):  # two long words cut to one label must stay two bars
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} ({seen[label]})"
    fig = go.Figure(go.Bar(
        x=[r[1] for r in top], y=labels, orientation="h", marker_color=colours, customdata=[r[2] for r in top],
        hovertemplate="%{y}: %{x:+.4f} (%{customdata}×)<extra></extra>",
    ))
    what = f"P({safe(target)})" if target else "the explained probability"
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
        x=df[col], y=[safe(t) for t in df["term"]], orientation="h",
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
