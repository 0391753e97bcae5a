"""Sales charts of the Overview page: revenue over time by category, top products."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._common import FREQ_NAMES, empty_figure, safe

__all__ = ["revenue_over_time", "top_products_bar"]


def revenue_over_time(df: pd.DataFrame, freq: str = "W") -> go.Figure:
    """Stacked area of revenue per period by category (df: period, category, revenue)."""
    if df.empty:
        return empty_figure("No revenue in the selected range")
    wide = df.pivot_table(index="period", columns="category", values="revenue", aggfunc="sum", fill_value=0.0)
    wide = wide.sort_index()
    # Biggest categories at the bottom of the stack, so the eye reads them first.
    wide = wide[wide.sum().sort_values(ascending=False).index]
    fig = go.Figure()
    unit = FREQ_NAMES.get(freq, "period")
    for category in wide.columns:
        name = safe(category)
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
        safe(name if isinstance(name, str) and name else pid)
        for name, pid in zip(df["product_name"], df["product_id"])
    ]
    labels, seen = [], set()
    for name, pid in zip(names, df["product_id"]):
        label = name if len(name) <= 40 else name[:39] + "…"
        if label in seen:  # two products with one name must stay two bars
            label = f"{label} ({safe(pid)})"
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
