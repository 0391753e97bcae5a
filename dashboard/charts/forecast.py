"""Forecast figures: the fan chart (history, the shown forecast's p50 and 10-90 band, closed days, public holidays,
anomalies, the network's own forecast where another method is shown) and the sentiment-leads-sales bars; pure
functions of the engine's frames."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._common import chart_title, empty_figure, safe, template_safe

__all__ = ["fan_chart", "lead_lag_bars", "selected_anomaly"]

_BAND = "rgba(31, 119, 180, 0.18)"
_ANOMALY = "anomaly"  # customdata tag of the clickable anomaly markers
_CLOSED = "closed (learned from the history)"
_HOLIDAY = "public holiday"


def fan_chart(history: pd.DataFrame, forecast: pd.DataFrame, series: str, anomalies: pd.DataFrame | None = None,
              alternative: pd.DataFrame | None = None, history_periods: int = 120, metric: str = "revenue",
              holidays: pd.DataFrame | None = None, method_label: str = "forecast") -> go.Figure:
    """History, the shown forecast's p50 with its p10-p90 band, closed days ahead (zero, learned from the history)
    and public holidays marked, anomalies as clickable red crosses, and the network's own forecast dashed where
    another method is shown.

    history: series, ts, y; forecast: series, ts, p10, p50, p90 (and closed); anomalies: series, ts, actual;
    alternative: series, ts, p50, method_label; holidays: series, ts, name.
    """
    h = history[history["series"] == series].sort_values("ts").tail(history_periods)
    f = forecast[forecast["series"] == series].sort_values("ts")
    if h.empty and f.empty:
        return empty_figure(f"No data for {series}")
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=h["ts"], y=h["y"], mode="lines", name="actual", line=dict(color="#444", width=1.3),
                             hovertemplate="%{x|%Y-%m-%d}: %{y:,.2f}<extra>actual</extra>"))
    label = template_safe(method_label)
    if not f.empty:
        fig.add_trace(go.Scatter(x=f["ts"], y=f["p90"], mode="lines", line=dict(width=0), showlegend=False,
                                 hovertemplate="%{x|%Y-%m-%d}: p90 %{y:,.2f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=f["ts"], y=f["p10"], mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=_BAND, name="10–90% band",
                                 hovertemplate="%{x|%Y-%m-%d}: p10 %{y:,.2f}<extra></extra>"))
        fig.add_trace(go.Scatter(x=f["ts"], y=f["p50"], mode="lines", name=f"forecast: {label}",
                                 line=dict(color="#1f77b4", width=2),
                                 hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y:,.2f}}<extra>{label}</extra>"))
        shut = f[f["closed"].astype(bool)] if "closed" in f.columns else f.iloc[0:0]
        if not shut.empty:
            fig.add_trace(go.Scatter(x=shut["ts"], y=[0.0] * len(shut), mode="markers", name=_CLOSED,
                                     marker=dict(color="#7f7f7f", size=7, symbol="square"),
                                     hovertemplate="%{x|%a %Y-%m-%d}: closed, forecast 0<extra></extra>"))
    if holidays is not None and not holidays.empty:
        start = h["ts"].min() if not h.empty else f["ts"].min()
        end = f["ts"].max() if not f.empty else h["ts"].max()
        d = holidays[(holidays["series"] == series) & (holidays["ts"] >= start) & (holidays["ts"] <= end)]
        if not d.empty:
            top = max(float(h["y"].max()) if not h.empty else 0.0, float(f["p90"].max()) if not f.empty else 0.0)
            for t in d["ts"]:
                fig.add_vline(x=t, line=dict(color="#9467bd", width=1, dash="dot"))
            fig.add_trace(go.Scatter(x=d["ts"], y=[top] * len(d), mode="markers", name=_HOLIDAY,
                                     marker=dict(color="#9467bd", size=9, symbol="star"),
                                     customdata=[[safe(n)] for n in d["name"]],
                                     hovertemplate="%{x|%a %Y-%m-%d}: %{customdata[0]}<extra>public holiday</extra>"))
    if alternative is not None and not alternative.empty:
        a = alternative[alternative["series"] == series].sort_values("ts")
        if not a.empty:
            alt = template_safe(a["method_label"].iloc[0])
            fig.add_trace(go.Scatter(x=a["ts"], y=a["p50"], mode="lines", name=f"{alt} alone (not shown)",
                                     line=dict(color="#ff7f0e", width=1.6, dash="dash"),
                                     hovertemplate=f"%{{x|%Y-%m-%d}}: %{{y:,.2f}}<extra>{alt}</extra>"))
    if anomalies is not None and not anomalies.empty:
        a = anomalies[anomalies["series"] == series]
        if not a.empty:
            fig.add_trace(go.Scatter(
                x=a["ts"], y=a["actual"], mode="markers", name="outside the 80% interval",
                marker=dict(color="#d62728", size=10, symbol="x"),
                customdata=[[_ANOMALY, series, str(pd.Timestamp(t).date())] for t in a["ts"]],
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.2f} outside the interval (click for its rows)<extra></extra>"))
    fig.update_layout(title=chart_title(safe(series)), height=340, margin=dict(l=10, r=10, t=10, b=10),
                      hovermode="closest", legend=dict(orientation="h", yanchor="top", y=-0.25),
                      yaxis_title=safe(metric), xaxis_title=None)
    fig.update_xaxes(automargin=True)  # the month labels stay whole above the legend
    return fig


def selected_anomaly(state: object) -> tuple[str, pd.Timestamp] | None:
    """(series, period) of the anomaly marker clicked in a fan chart (state: st.plotly_chart's event or its
    session-state value); None when no anomaly is selected."""
    if state is None:
        return None
    getter = state.get if hasattr(state, "get") else (lambda k, d=None: getattr(state, k, d))
    selection = getter("selection", None)
    points = (selection.get("points") if hasattr(selection, "get") else getattr(selection, "points", None)) \
        if selection is not None else None
    for point in points or []:
        custom = point.get("customdata") if hasattr(point, "get") else None
        if isinstance(custom, (list, tuple)) and len(custom) == 3 and custom[0] == _ANOMALY:
            return str(custom[1]), pd.Timestamp(custom[2])
    return None


def lead_lag_bars(df: pd.DataFrame) -> go.Figure:
    """Correlation at the peak lag per category (df: category, peak_lag_weeks, correlation, significant)."""
    d = df.dropna(subset=["correlation"]) if not df.empty else df
    if d.empty:
        return empty_figure("Not enough weeks with both reviews and sales in any category")
    d = d.sort_values("correlation")
    colours = ["#d62728" if s else "#bbbbbb" for s in d["significant"]]
    labels = [f"{safe(c)} (lag {int(lag)} wk)" for c, lag in zip(d["category"], d["peak_lag_weeks"])]
    fig = go.Figure(go.Bar(x=d["correlation"], y=labels, orientation="h", marker_color=colours,
                           hovertemplate="%{y}: r = %{x:.2f}<extra></extra>"))
    fig.update_layout(title=chart_title("Negative reviews vs later revenue"),
                      height=max(240, 40 * len(d) + 90), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(title="moves together (−1 to 1)", range=[-1, 1]))
    return fig
