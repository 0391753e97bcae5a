"""Customer charts of the Customers page: the segment map (clickable, lassoable), each segment's profile against
the store, the churn-risk distribution, the reliability curve and the backtest beside its baselines.

Map points carry customdata = [customer id escaped for the hover text, segment escaped, churn risk, the raw
customer id]; selected_customers() turns a Streamlit selection back into raw customer ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._common import chart_title, empty_figure, safe, template_safe

__all__ = ["SEGMENT_COLOURS", "segment_map", "selected_customers", "segment_profile", "churn_distribution",
           "reliability_curve", "backtest_bars"]

SEGMENT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                   "#bcbd22", "#17becf", "#393b79", "#637939"]
PROFILE_FEATURES = {"recency_days": "Days since last order", "frequency": "Orders", "monetary": "Spend",
                    "aov": "Order value", "mean_gap_days": "Days between orders", "orders_90d": "Orders, last 90 days",
                    "return_share": "Returned/cancelled", "discount_share": "Bought below usual price"}


def segment_map(customers: pd.DataFrame, names: list[str]) -> go.Figure:
    """The 2-D projection of the learned embedding, one colour per segment (customers: the model's scored table)."""
    if customers.empty:
        return empty_figure("No customers to draw")
    fig = go.Figure()
    for i, name in enumerate(names):
        part = customers[customers["segment"] == name]
        if part.empty:
            continue
        risk = part["churn_risk"].to_numpy(dtype=float)
        ids = part["customer_id"].astype(str)
        custom = np.column_stack([ids.map(template_safe), np.full(len(part), template_safe(name)),
                                  np.where(np.isfinite(risk), np.round(risk, 3).astype(str), "–"), ids])
        fig.add_trace(go.Scatter(
            x=part["x"], y=part["y"], mode="markers", name=safe(name), customdata=custom,
            marker=dict(size=6, color=SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)], opacity=0.75),
            hovertemplate=f"{template_safe(name)}<br>customer %{{customdata[0]}}<br>churn risk %{{customdata[2]}}"
                          "<extra></extra>",
        ))
    fig.update_layout(
        height=460, margin=dict(l=10, r=10, t=10, b=10),
        title=chart_title("Segment map (click a point, or lasso a group with the mode bar)"),
        xaxis=dict(title=None, showticklabels=False, zeroline=False), legend=dict(orientation="h", y=-0.05),
        yaxis=dict(title=None, showticklabels=False, zeroline=False),
    )  # Streamlit sets clickmode/dragmode: a click selects a point, the lasso is in the mode bar
    return fig


def selected_customers(state: object) -> list[str]:
    """Customer ids of the points selected on the segment map (state: st.plotly_chart's event or its
    session-state value); [] when nothing is selected."""
    if state is None:
        return []
    getter = state.get if hasattr(state, "get") else (lambda k, d=None: getattr(state, k, d))
    selection = getter("selection", None) or state
    points = selection.get("points") if hasattr(selection, "get") else getattr(selection, "points", None)
    out = []
    for point in points or []:
        custom = point.get("customdata") if hasattr(point, "get") else None
        if isinstance(custom, (list, tuple)) and len(custom) >= 4:
            out.append(str(custom[3]))
    return list(dict.fromkeys(out))


def segment_profile(segments: list[dict], store: dict) -> go.Figure:
    """Each segment's typical values against the store's (ratio; 1 = like the store), as a heat map."""
    if not segments or not store:
        return empty_figure("No learned segments")
    feats = [f for f in PROFILE_FEATURES if store.get(f) not in (None, 0)]
    z, text = [], []
    for s in segments:
        row, labels = [], []
        for f in feats:
            v, ref = s.get(f), store.get(f)
            ratio = (v / ref) if v is not None and ref else np.nan
            row.append(np.log2(ratio) if ratio and ratio > 0 else np.nan)
            labels.append("–" if v is None else f"{v:,.2f}" if f.endswith("share") else f"{v:,.0f}")
        z.append(row)
        text.append(labels)
    fig = go.Figure(go.Heatmap(
        z=z, x=[PROFILE_FEATURES[f] for f in feats], y=[safe(s["name"]) for s in segments], text=text,
        texttemplate="%{text}", colorscale="RdBu", zmid=0, zmin=-3, zmax=3,
        colorbar=dict(title="vs store", tickvals=[-2, 0, 2], ticktext=["¼×", "1×", "4×"]),
        hovertemplate="%{y}<br>%{x}: %{text}<extra></extra>",
    ))
    fig.update_layout(height=160 + 45 * len(segments), margin=dict(l=10, r=10, t=10, b=10),
                      title=chart_title("Segment profiles (typical value; colour: compared with the store)"))
    # long segment names and column names get the room they need instead of being cut at the figure's edge
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(automargin=True, tickangle=-30)
    return fig


def churn_distribution(customers: pd.DataFrame, bands: dict[str, tuple[float, float]]) -> go.Figure:
    """How many customers at each churn risk, the risk bands shaded."""
    risk = customers["churn_risk"].dropna() if "churn_risk" in customers else pd.Series(dtype=float)
    if risk.empty:
        return empty_figure("No churn risk for this store")
    fig = go.Figure(go.Histogram(x=risk, xbins=dict(start=0, end=1, size=0.05), marker_color="#4c78a8",
                                 hovertemplate="risk %{x}<br>%{y} customers<extra></extra>"))
    shades = {"low": "#2ca02c", "medium": "#ff7f0e", "high": "#d62728"}
    for name, (lo, hi) in bands.items():
        fig.add_vrect(x0=lo, x1=min(hi, 1.0), fillcolor=shades.get(name, "#aaa"), opacity=0.08, line_width=0,
                      annotation_text=name, annotation_position="top left")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10),
                      title=chart_title("Churn risk of today's customers"),
                      xaxis=dict(title="chance of no purchase within the horizon", range=[0, 1], tickformat=".0%"),
                      yaxis_title="Customers", bargap=0.05)
    return fig


def reliability_curve(reliability: dict | None) -> go.Figure:
    """Predicted risk against the share that really did not come back, on the backtest cut-off."""
    bins = (reliability or {}).get("bins") or []
    if not bins:
        return empty_figure("No backtest for this store")
    df = pd.DataFrame(bins)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#999"),
                             name="risk said = share that left", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=df["mean_predicted"], y=df["observed"], mode="lines+markers", name="model",
                             marker=dict(size=np.clip(np.sqrt(df["n"]) * 1.2, 5, 22), color="#4c78a8"),
                             customdata=df["n"], hovertemplate="predicted %{x:.0%}<br>observed %{y:.0%}<br>"
                                                               "%{customdata} customers<extra></extra>"))
    # the calibration error (ECE) read as what it is: how far, on average, the risk said is from the share that left
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10),
                      title=chart_title(f"Said vs happened: {reliability.get('ece', 0) * 100:.1f} pts apart"),
                      xaxis=dict(title="Predicted risk", range=[0, 1], tickformat=".0%"),
                      yaxis=dict(title="Did not buy again", range=[0, 1], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.32))
    return fig


def backtest_bars(churn: dict) -> go.Figure:
    """AUC of the model beside every single RFM signal and the RFM regression (same cut-off, same customers)."""
    if not churn.get("available"):
        return empty_figure("No backtest for this store")
    names = ["model", "recency_only", "frequency_only", "monetary_only", "rfm_logistic"]
    labels = ["churn model", "days since last order", "number of orders", "spend", "all three in a formula"]
    aucs = [churn["model"]["auc"]] + [churn["baselines"][n]["auc"] for n in names[1:]]
    briers = [churn["model"]["brier"]] + [churn["baselines"][n]["brier"] for n in names[1:]]
    fig = go.Figure(go.Bar(
        x=labels, y=aucs, customdata=briers, text=[f"{a:.0%}" for a in aucs],
        marker_color=["#4c78a8"] + ["#bbbbbb"] * 4,
        hovertemplate="%{x}<br>ranks a leaver above a stayer %{y:.1%} of the time (AUC %{y:.3f})<br>"
                      "probability error (Brier score) %{customdata:.3f}<extra></extra>",
    ))
    lo = max(0.0, min(aucs) - 0.05)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(title="leaver ranked first", range=[lo, 1], tickformat=".0%"),
                      title=chart_title("Backtest: how often a customer who left is ranked above one who stayed "
                                        "(50% = coin toss)"))
    return fig
