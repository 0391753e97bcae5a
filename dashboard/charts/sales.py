"""Sales charts of the Overview page: revenue over time by category, top products. Every bar is clickable: its
customdata says what it stands for (services.drilldown reads it back), and the money axis names its currency."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._common import FREQ_NAMES, chart_title, empty_figure, safe, template_safe

__all__ = ["revenue_over_time", "top_products_bar"]


def _money(unit: str | None) -> str:
    return f"Revenue ({safe(unit)})" if unit else "Revenue"


def revenue_over_time(df: pd.DataFrame, freq: str = "W", currency: str | None = None) -> go.Figure:
    """Stacked bars of revenue per period by category (df: period, category, revenue); customdata
    [period ISO date, category] per bar."""
    if df.empty:
        return empty_figure("No revenue in the selected range")
    wide = df.pivot_table(index="period", columns="category", values="revenue", aggfunc="sum", fill_value=0.0)
    wide = wide.sort_index()
    # Biggest categories at the bottom of the stack, so the eye reads them first.
    wide = wide[wide.sum().sort_values(ascending=False).index]
    fig = go.Figure()
    unit = FREQ_NAMES.get(freq, "period")
    iso = [p.strftime("%Y-%m-%d") for p in wide.index]
    money = _money(currency)
    for category in wide.columns:
        name = template_safe(category)
        fig.add_trace(go.Bar(
            x=wide.index, y=wide[category], name=safe(category), customdata=[[d, category] for d in iso],
            hovertemplate=f"{name}<br>{unit} of %{{x|%Y-%m-%d}}: %{{y:,.2f}}<extra></extra>",
        ))
    fig.update_layout(
        title=chart_title(f"{money} per {unit} by category (click a bar for its orders)"), height=400,
        barmode="stack", margin=dict(l=10, r=10, t=10, b=10), legend=dict(orientation="h", yanchor="top", y=-0.2),
        yaxis_title=money, xaxis_title=None, clickmode="event+select", bargap=0.15,
    )
    return fig


def top_products_bar(df: pd.DataFrame, currency: str | None = None) -> go.Figure:
    """Horizontal bars of the top products' revenue, best at the top (df: product_id, product_name, revenue);
    customdata [product_id, product name] per bar."""
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
    raw = [name if isinstance(name, str) and name else pid for name, pid in zip(df["product_name"], df["product_id"])]
    custom = [[pid, name] for pid, name in zip(df["product_id"], raw)]
    fig = go.Figure(go.Bar(
        x=df["revenue"][::-1], y=labels[::-1], orientation="h", customdata=custom[::-1],
        hovertext=[template_safe(n) for n in raw[::-1]], hovertemplate="%{hovertext}: %{x:,.2f}<extra></extra>",
    ))
    fig.update_layout(
        title=chart_title("Top products (click a bar for its orders)"), height=max(260, 28 * len(df) + 80),
        margin=dict(l=10, r=10, t=10, b=10), xaxis_title=_money(currency), yaxis=dict(type="category", automargin=True),
        clickmode="event+select",
    )
    return fig
