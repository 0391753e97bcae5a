"""Forecasts: every series of a metric with its 10–90% band, closed days and public holidays, and its own track
record (a rolling backtest against the weekday median, seasonal naive, AutoETS, AutoTheta, Croston and Fracast),
anomalies with the rows behind them, and whether negative reviews lead sales. Forecasts run in the background and
are kept as versions."""

import pandas as pd
import streamlit as st

from dashboard import charts, services
from dashboard.services import forecast as fs
from dashboard.views.widgets import job_panel

st.title("Forecasts")
st.caption("One model learns from all the series you pick at once; each series is forecast with a 10–90% band by the "
           "average of that model, the median of the same weekday over the last 8 weeks and a small pretrained "
           "model, unless a simple method clearly did better on that series. Before it is shown, it is tested on "
           "your own history: forecasts made from earlier dates are compared with what happened, beside simple "
           "methods, as an error relative to simply repeating the last week (below 1 is better than that). Days "
           "your shop has been closed are forecast as zero, and public holidays are marked.", help=fs.MASE_HELP)


# ---- the request
c1, c2, c3, c4, c5 = st.columns([1.7, 1.7, 1.6, 1.1, 1])  # "Weekly" fits at 1280 px
metric = c1.selectbox("Metric", list(fs.METRIC_LABELS), format_func=fs.METRIC_LABELS.get, key="forecast_metric")
options = fs.dimensions(metric)
if st.session_state.get("forecast_by") not in options:
    st.session_state["forecast_by"] = "category" if "category" in options else options[0]
by = c2.selectbox("Split by", options, format_func=lambda d: fs.DIMENSION_LABELS.get(d, d), key="forecast_by")
freq = c3.segmented_control("Frequency", list(fs.FREQ_LABELS), format_func=fs.FREQ_LABELS.get, default="D",
                            key="forecast_freq") or "D"
horizons = fs.HORIZONS[freq]
if st.session_state.get("forecast_horizon") not in horizons:
    st.session_state["forecast_horizon"] = horizons[2]
horizon = c4.selectbox("Horizon", horizons, key="forecast_horizon",
                       format_func=lambda h: f"{h} {'days' if freq == 'D' else 'weeks'}")
top_n = c5.selectbox("Top N", [5, 10, 20], index=1, key="forecast_top_n", disabled=by == "total",
                     help="Split values kept as their own series; the rest are pooled as (other).")
req = fs.request(metric, by, freq, horizon, top_n)


# ---- the running (or last) job
job = job_panel("forecast", fs.forecast_outcome, cancellable=("forecast",))
running = job is not None and job.running

data_hash, problem = fs.current_hash(req)
model, stale = fs.saved_forecast(req)
if problem and model is None:
    st.info(services.plain(problem))
    st.stop()
label = "Run forecast" if model is None else ("Update forecast" if stale else "Run again")
if model is None:
    st.info(f"No forecast for this choice yet. It takes {fs.run_estimate(req)}, in the background: you can leave "
            "the page meanwhile.")
elif stale:
    st.warning("This forecast was made on older data; run it again to include the latest uploads.")
if st.button(label, type="primary" if model is None or stale else "secondary", disabled=running or bool(problem),
             key="forecast_run", icon=":material/play_arrow:"):
    try:
        fs.start_forecast(req)
    except services.JobBusyError as exc:
        st.warning(services.plain(exc))
    else:
        st.rerun()
if model is None:
    st.stop()

# ---- the track record
result, summary = model.result, model.metrics
st.subheader("Track record")
st.caption(f"Version {services.plain(model.version)} · history {summary['history_start']} – "
           f"{summary['history_end']} · backtest from {len(summary['origins'])} origins "
           f"({', '.join(summary['origins'])}), {summary['horizon']} {'days' if freq == 'D' else 'weeks'} ahead each"
           + (" · split reconciled so the series add up to the total" if summary.get("reconciled") else ""))


def _num(x: object) -> str:
    return "–" if x is None or pd.isna(x) else f"{x:.2f}"


last = fs.SEASON_NAMES[freq]
st.caption(f"Each error is relative to repeating the last {last}'s values: 1.00 is as good as that, 0.80 a fifth "
           "smaller.", help=fs.MASE_HELP)
m1, m2, m3 = st.columns(3)  # three, then two, a row: the plain labels stay whole at 1280 px
m1.metric("Forecast's error", _num(summary["mase_model"]), border=True,
          help="MASE of the forecast shown, as it did from each backtest origin (chosen on earlier origins only).")
m2.metric("Same-weekday median's error", _num(summary.get("mase_weekday_median")), border=True,
          help="MASE of the median of the same weekday over the last 8 weeks.")
m3.metric(f"Repeat last {last}: error", _num(summary["mase_seasonal_naive"]), border=True,
          help="Seasonal naive: every MASE is measured against it, so it scores 1.00 on the data it was fitted on.")
m4, m5, _ = st.columns(3)
m4.metric("Smoothing model's error", _num(summary["mase_auto_ets"]), border=True,
          help="MASE of AutoETS (exponential smoothing with trend and season chosen automatically).")
m5.metric("Actuals inside the band", "–" if summary["coverage_80"] is None else f"{summary['coverage_80']:.0%}",
          border=True, help="80% band coverage: share of backtest actuals inside the 10–90% band; about 80% means "
                            "honest bands.")
losers = summary.get("series_model_loses") or []
simple = [v for v in (summary["mase_seasonal_naive"], summary.get("mase_weekday_median")) if v is not None]
if summary["mase_model"] is not None and simple and summary["mase_model"] >= min(simple):
    st.warning("Overall, the forecast does not beat the simplest methods on this data (the weekday median or "
               "seasonal naive): prefer them; each series below says which did best.")
elif losers:
    st.info(f"The forecast loses to seasonal naive on {len(losers)} of {summary['n_series']} series; those are "
            "marked below with the method that did best.")

# ---- all series, by expected change
st.subheader("Series by expected change")
unit = "days" if freq == "D" else "weeks"
change_help = ("Forecast total of the next period against the same number of past periods" if metric in
               ("revenue", "units", "orders") else "Forecast mean minus the mean of the same number of past periods")
st.caption("The error columns are relative to repeating the last period (below 1 is better); hover a column's name "
           "for the method.", help=fs.MASE_HELP)
st.dataframe(fs.series_table(model), hide_index=True, key="forecast_table", column_config={
    "expected_change": st.column_config.NumberColumn(
        "expected change", format="percent" if metric in ("revenue", "units", "orders") else "%.3f",
        help=change_help),
    "last_period": st.column_config.NumberColumn(f"last {horizon} {unit}", format="%.2f"),
    "next_period": st.column_config.NumberColumn(f"next {horizon} {unit}", format="%.2f"),
    "forecast shown": st.column_config.TextColumn(width="medium"),
    "mase_model": st.column_config.NumberColumn("error", format="%.2f", help="MASE of the forecast shown"),
    "mase_network": st.column_config.NumberColumn("network", format="%.2f",
                                                  help="MASE of the StoreLens network alone"),
    "mase_weekday_median": st.column_config.NumberColumn("weekday median", format="%.2f",
                                                         help="MASE of the same weekday's median, last 8 weeks"),
    "mase_seasonal_naive": st.column_config.NumberColumn("repeat last", format="%.2f",
                                                         help="MASE of seasonal naive: repeating the last season"),
    "mase_auto_ets": st.column_config.NumberColumn("smoothing", format="%.2f", help="MASE of AutoETS"),
    "mase_auto_theta": st.column_config.NumberColumn("theta", format="%.2f", help="MASE of AutoTheta"),
    "mase_croston": st.column_config.NumberColumn("sparse sales", format="%.2f",
                                                  help="MASE of Croston's method, made for mostly-empty series"),
    "mase_fracast": st.column_config.NumberColumn("pretrained", format="%.2f",
                                                  help="MASE of Fracast-0, a small pretrained model"),
    "forecast vs weekday median": st.column_config.NumberColumn(format="%.2fx"),
    "coverage_80": st.column_config.ProgressColumn("inside band", min_value=0.0, max_value=1.0, format="percent",
                                                   help="80% coverage: share of actuals inside the 10–90% band"),
    "model_loses": st.column_config.CheckboxColumn("repeating wins", help="The forecast loses to seasonal naive"),
    "closed": st.column_config.TextColumn("closed days", help="Learned from the history; forecast as zero"),
    "sparse": st.column_config.CheckboxColumn("sparse", help="More than half the periods are empty"),
})

# ---- fan charts
st.subheader("Forecasts")
order = fs.series_table(model)["series"].tolist()
names = [n for n in result.table["series"] if n in order]
shown = names if st.toggle(f"Show all {len(names)} series", key="forecast_all") else names[:6]
for name in shown:
    left, right = st.columns([3, 1])
    with left:
        st.plotly_chart(charts.fan_chart(result.history, result.forecast, name, result.anomalies, result.alternatives,
                                         history_periods=120 if freq == "D" else 52, metric=fs.METRIC_LABELS[metric],
                                         holidays=result.holidays, method_label=fs.method_label(model, name)),
                        key=f"forecast_fan_{names.index(name)}", on_select="rerun", selection_mode="points")
        note = fs.closed_note(model, name)
        if note:
            st.caption(f":material/door_front: {note}")
    with right:
        row = result.table.set_index("series").loc[name]
        st.metric("Error", _num(row["mase_model"]), border=True, help=fs.MASE_HELP,
                  delta=None if pd.isna(row["mase_model"]) or pd.isna(row["mase_seasonal_naive"]) else
                  f"{row['mase_model'] - row['mase_seasonal_naive']:+.2f} vs repeating", delta_color="inverse")
        st.metric("Inside the band", "–" if pd.isna(row["coverage_80"]) else f"{row['coverage_80']:.0%}",
                  border=True, help="80% coverage: share of backtest actuals inside the 10–90% band.")
        level, text = fs.verdict(model, name)
        getattr(st, level)(text)

# ---- anomalies
st.subheader("Anomalies in the last period")
anomalies = fs.anomaly_table(model)
st.caption("Actual values of the most recent backtest window that fell outside the model's 80% band (about 1 in 5 "
           "is expected by chance; the furthest out come first). Select one, or click a red cross in a chart, to "
           "list the rows behind it.")
picked = None
for i, name in enumerate(shown):
    hit = charts.selected_anomaly(st.session_state.get(f"forecast_fan_{names.index(name)}"))
    if hit is not None:
        picked = (hit[0], hit[1].date())
if anomalies.empty:
    st.success("No actual fell outside the 80% band in the last period.")
else:
    sel = st.dataframe(anomalies, hide_index=True, key="forecast_anomalies", on_select="rerun",
                       selection_mode="single-row", column_config={
                           "actual": st.column_config.NumberColumn(format="%.2f"),
                           "p10": st.column_config.NumberColumn(format="%.2f"),
                           "p50": st.column_config.NumberColumn(format="%.2f"),
                           "p90": st.column_config.NumberColumn(format="%.2f"),
                           "ts": st.column_config.DateColumn("date"),
                           "p10": st.column_config.NumberColumn("low (10%)", format="%.2f",
                                                                help="p10: the band's lower edge"),
                           "p50": st.column_config.NumberColumn("expected", format="%.2f",
                                                                help="p50: the forecast's middle"),
                           "p90": st.column_config.NumberColumn("high (90%)", format="%.2f",
                                                                help="p90: the band's upper edge"),
                           "severity": st.column_config.NumberColumn(format="%.2f", help="Distance outside the band, "
                                                                     "in band widths")})
    rows = sel.selection.rows if sel is not None and hasattr(sel, "selection") else []
    if rows:
        r = anomalies.iloc[rows[0]]
        picked = (r["series"], r["ts"])
    if picked is not None:
        what = "reviews" if metric in ("negative_share", "sentiment") else "order lines"
        st.markdown(f"**{what.capitalize()} behind {services.plain(picked[0])} on {picked[1]}**")
        st.dataframe(fs.anomaly_rows(model, picked[0], picked[1]), hide_index=True, key="forecast_anomaly_rows")

# ---- does sentiment lead sales?
st.subheader("Does sentiment lead sales?")
lead = fs.lead_lag()
if lead.empty:
    st.info("Needs reviews and orders that share categories; none do yet.")
else:
    st.caption("Per category: do weeks with more negative reviews come before weeks of lower revenue, 0–8 weeks "
               "later? Each bar is how closely the two move together at the delay where they move most (−1: "
               "always opposite, 0: unrelated), red when that is unlikely to be chance.",
               help=f"Correlation at the peak lag. Test: {fs.LEADLAG_TEST}; significant when the adjusted p-value is "
                    "below 0.05.")
    a, b = st.columns([2, 3])
    with a:
        st.plotly_chart(charts.lead_lag_bars(lead), key="forecast_leadlag_chart")
    with b:
        st.dataframe(fs.lead_lag_table(lead), hide_index=True, key="forecast_leadlag", column_config={
            "reading": st.column_config.TextColumn(width="medium", help="How likely the link is to be chance, "
                                                   "from the adjusted p-value"),
            "peak_lag_weeks": st.column_config.NumberColumn("weeks later", help="peak_lag_weeks: the delay with "
                                                            "the strongest link"),
            "correlation": st.column_config.NumberColumn("moves together", format="%.2f",
                                                         help="Pearson correlation of week-over-week changes"),
            "p_value": st.column_config.NumberColumn("p", format="%.4f", help="p-value before adjustment"),
            "p_adjusted": st.column_config.NumberColumn("p (adjusted)", format="%.4f",
                                                        help="p-value adjusted for the lags tried (Bonferroni)"),
            "significant": st.column_config.CheckboxColumn("not chance", help="Adjusted p-value below 0.05"),
        })
