"""Model evaluation charts of the Models pages: how a trained version does on held-out data."""

from __future__ import annotations

import plotly.graph_objects as go

from ._common import LABELS, chart_title, empty_figure, safe

__all__ = ["confusion_matrix"]


def confusion_matrix(cm: list[list[int]] | None, labels: list[str] | tuple[str, ...] = LABELS,
                     title: str = "Your model: test reviews by true and given label") -> go.Figure:
    """Heatmap of true (rows) against predicted (columns) labels, each cell with its count and row share."""
    if not cm:
        return empty_figure("No confusion matrix in this version's report")
    import numpy as np

    z = np.asarray(cm, dtype=float)
    rows = z.sum(axis=1, keepdims=True)
    share = np.divide(z, rows, out=np.zeros_like(z), where=rows > 0)
    names = [safe(label) for label in labels]
    text = [[f"{int(z[i, j])}<br>{share[i, j]:.0%}" for j in range(z.shape[1])] for i in range(z.shape[0])]
    fig = go.Figure(go.Heatmap(
        z=share, x=names, y=names, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=1,
        showscale=False, hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
    ))
    fig.update_layout(
        title=chart_title(title), height=340, margin=dict(l=10, r=10, t=10, b=10),
        xaxis=dict(title="Label the model gave", side="bottom"),
        yaxis=dict(title="True label (from stars)", autorange="reversed"),
    )
    return fig
