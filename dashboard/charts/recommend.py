"""The recommendation page's chart: how much each past purchase and product feature contributed to a score
(Captum attributions), strongest at the top; product names are upload text and are escaped."""

from __future__ import annotations

import plotly.graph_objects as go

from ._common import empty_figure, safe

__all__ = ["FEATURE_LABELS", "attribution_bar"]

FEATURE_LABELS = {"past_purchase": "bought", "name_similarity": "name similar to their purchases",
                  "category": "category", "price_band": "price band", "popularity": "popularity",
                  "reviews": "reviews"}
COLOURS = {"up": "rgb(69,117,180)", "down": "rgb(215,48,39)"}


def attribution_bar(reasons: list[dict], k: int = 12) -> go.Figure:
    """Horizontal bars of the k largest |attribution| reasons (reasons: explain()'s "reasons" list)."""
    rows = [r for r in reasons or [] if isinstance(r.get("attribution"), (int, float))]
    if not rows:
        return empty_figure("No attributions to show")
    top = sorted(rows, key=lambda r: -abs(r["attribution"]))[:k][::-1]
    labels = []
    for r in top:
        kind = FEATURE_LABELS.get(r.get("feature"), str(r.get("feature")))
        value = str(r.get("value", ""))
        value = value if len(value) <= 40 else value[:39] + "…"
        labels.append(safe(f"{kind}: {value}"))
    values = [float(r["attribution"]) for r in top]
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h",
                           marker_color=[COLOURS["up" if v >= 0 else "down"] for v in values],
                           hovertemplate="%{y}<br>attribution %{x:.3f}<extra></extra>"))
    fig.update_layout(height=max(220, 32 * len(top) + 80), margin=dict(l=10, r=10, t=30, b=10),
                      xaxis_title="contribution to the score", yaxis=dict(automargin=True))
    return fig
