"""Segments: who the customers are (learned segments with plain names, RFM reference), who is about to stop
buying and why, each segment's or risk band's members as a CSV for e-mail tools."""

import pandas as pd
import streamlit as st

from dashboard import charts, services
from dashboard.services import segments as ss
from dashboard.services import versions as vs
from dashboard.views.widgets import job_panel

st.title("Customer segments")
st.caption("Groups customers by how they buy (a small neural network compresses each customer's behaviour; "
           "similar customers are clustered and the groups named from their profile), beside the classic segments "
           "by recency, frequency and spend, and estimates each customer's risk of not buying again. Learning runs "
           "in the background.", help="The classic segments are RFM segments; the network is an autoencoder.")

_PICKED = "segments_picked_ids"  # customers picked on the map (or from the segment table)


job = job_panel("segments", services.segments_job_outcome, kinds=(services.SEGMENT_JOB,), cancellable=())
running = job is not None and job.running

avail = services.segments_availability()
if not avail.ok:
    st.info(services.plain(avail.reason), icon=":material/info:")
    st.stop()

try:
    version, unusable = services.segments_version(), None
except services.segments.ModelLoadError as exc:  # every version's files are missing or corrupt
    version, unusable = None, exc

with st.expander("Learn segments" if version is None else "Learn segments again", expanded=version is None):
    with st.form("segments_form", border=False):
        horizon = st.slider("Churn horizon (days)", min_value=30, max_value=180, value=90, step=10,
                            key="segments_horizon",
                            help="Churn risk = probability of no purchase within this many days.")
        go = st.form_submit_button("Learn segments", type="primary", icon=":material/groups:", disabled=running)
    if go:
        try:
            services.start_segmenting(horizon)
            st.rerun()
        except services.JobBusyError as exc:
            st.warning(services.plain(exc))
    st.caption("The same learning runs from a shell with `storelens segment`.")

if unusable is not None:
    st.error(f"The segments model could not be loaded: {services.plain(unusable)}. Learn segments again above.")
    st.stop()
if version is None:
    skipped = avail.n_customers - avail.n_buyers
    st.info(f"No segments yet for the {avail.n_buyers:,} customers who bought something: click **Learn segments** "
            "above (about a minute on a small machine)."
            + (f" {skipped:,} more customer ids have only cancelled or undated orders and are not segmented."
               if skipped else ""))
    st.stop()
if notice := services.segments.segments_notice():
    st.warning(notice, icon=":material/warning:")
if newer := vs.newer_orders_notice("segments", "Open **Learn segments again** above to include them."):
    st.info(newer, icon=":material/update:")

report = services.segments_report(version)
customers = services.segment_customers(version)
names = services.segment_names(version)
churn = report.get("churn") or {}

c1, c2, c3, c4 = st.columns(4)
skipped = avail.n_customers - report["n_customers"]
c1.metric("Customers", f"{report['n_customers']:,}", border=True,
          help=f"Customers with a purchase as of {str(report['as_of'])[:10]}. Guest orders (no customer id) are "
               "counted, not segmented" + (f"; {skipped:,} more customer ids have only cancelled or undated orders "
                                           "(or arrived later) and are not segmented." if skipped > 0 else "."))
c2.metric("Guest orders", f"{report['guest_orders']:,}", border=True)
c3.metric("Segments", f"{report.get('k') or len(names)}", border=True,
          help="As many groups as separate the customers most clearly (k chosen by "
               + ((report.get("k_selection") or {}).get("method") or "RFM rules") + ").")
if churn.get("available"):
    best = churn["baselines"][churn["best_single"]]["auc"]
    c4.metric("Leavers ranked first", f"{churn['model']['auc']:.0%}", border=True,
              delta=f"{(churn['model']['auc'] - best) * 100:+.1f} pts",  # against which: the sentence below
              help="How often churn risk put a past customer who stopped buying above one who kept buying (100% "
                   "perfect, 50% a coin toss). " + ss.churn_help(report))
else:
    c4.metric("Leavers ranked first", "–", border=True, help="AUC of the churn backtest: none for this store.")
level, sentence = services.churn_sentence(report)
getattr(st, level)(sentence)
if not report.get("segments_available", True):
    st.warning(services.plain(report.get("segments_reason", "")))

# ---- segment map and table
st.subheader("Segments")


def _map_picked() -> None:
    """on_select: the points clicked or lassoed become the picked customers."""
    ids = charts.selected_customers(st.session_state.get("segments_map"))
    st.session_state[_PICKED] = ids
    if ids:
        st.session_state["segments_customer"] = ids[0]


left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.segment_map(customers, names), key="segments_map", on_select=_map_picked,
                    selection_mode=("points", "lasso", "box"))
with right:  # the descriptions wrap in a narrow column; the table below gets the page's width for whole names
    for seg in report.get("segments") or []:
        st.markdown(f"**{services.plain(seg['name'])}**: {services.plain(seg['description'])}")
table = services.segment_table(version)
shown = table.rename(columns={"revenue_share": "revenue share", "aov": "avg order value",
                              "mean_churn_risk": "mean churn risk", "previous_customers": "90 days earlier"})
longest = int(shown["segment"].astype(str).str.len().max()) if len(shown) else 10
picked_row = st.dataframe(
    shown, hide_index=True, key="segments_table", on_select="rerun", selection_mode="single-row",
    column_config={"segment": st.column_config.TextColumn(width=min(420, 6 * longest + 30)),
                   "revenue share": st.column_config.NumberColumn(format="percent"),
                   "avg order value": st.column_config.NumberColumn(format="%.2f"),
                   "mean churn risk": st.column_config.NumberColumn(format="percent"),
                   "change": st.column_config.NumberColumn(format="%+d")})
rows = picked_row.selection.rows if picked_row is not None else []
if rows:
    st.session_state[_PICKED] = services.customer_options(version, services.members(
        version, segment=str(table.iloc[rows[0]]["segment"]))["customer_id"].tolist())
st.caption("Select a row to list that segment's customers; 'change' compares with the customers as they "
           "were 90 days before the score date.")

picked = [c for c in st.session_state.get(_PICKED, []) if c in set(customers["customer_id"])]
if picked:
    st.markdown(f"**{len(picked):,} customers picked**")
    listed = services.members(version, ids=picked)[["customer_id", "segment", "churn_risk", "recency_days",
                                                     "frequency", "monetary", "rfm_segment"]]
    st.dataframe(listed.sort_values("churn_risk", ascending=False), hide_index=True, key="segments_picked",
                 column_config={"churn_risk": st.column_config.NumberColumn("churn risk", format="percent"),
                                "recency_days": st.column_config.NumberColumn("days since last order", format="%d"),
                                "frequency": st.column_config.NumberColumn("orders"),
                                "monetary": st.column_config.NumberColumn("spend", format="%.2f"),
                                "rfm_segment": st.column_config.TextColumn("classic segment", help="RFM segment")})
    st.download_button("Download these customers (CSV)", services.members_csv(services.members(version, ids=picked)),
                       file_name="picked_customers.csv", mime="text/csv", key="segments_download_picked")

st.plotly_chart(charts.segment_profile(report.get("segments") or [], report.get("store_profile") or {}),
                key="segments_profile")

# ---- churn risk
st.subheader("Churn risk")
a, b = st.columns(2)
with a:
    st.plotly_chart(charts.churn_distribution(customers, services.RISK_BANDS), key="segments_risk_hist")
with b:
    st.plotly_chart(charts.reliability_curve(churn.get("reliability")), key="segments_reliability")
if churn.get("available"):
    st.plotly_chart(charts.backtest_bars(churn), key="segments_backtest")
    cut = churn["cutoffs"]
    st.caption(f"Backtest: trained on customers as they were at {len(cut['train'])} past dates, its percentages "
               f"adjusted on {cut['calibration'][:10]} so that a 70% risk means about 7 in 10 such customers left, "
               f"tested on {churn['n_backtest']:,} customers as of {cut['backtest'][:10]} against what they did in "
               f"the next {churn['horizon_days']} days.",
               help=f"Calibration: {churn['calibration']} scaling. " + ss.churn_help(report))

# ---- RFM reference
with st.expander("Classic segments: recency, frequency, spend"):
    rfm = pd.DataFrame(report.get("rfm_segments") or [])
    if not rfm.empty:
        st.dataframe(rfm.rename(columns={"size": "customers"}), hide_index=True, key="segments_rfm")
    st.caption("How recently, how often and how much each customer bought, each scored 1–5 (a fifth of the "
               "customers per score); the names follow the usual map.", help="RFM segments, scored by quintile.")

# ---- one customer
st.subheader("Customer")
options = services.customer_options(version, picked or None)
if st.session_state.get("segments_customer") not in options:
    st.session_state["segments_customer"] = options[0] if options else None
chosen = st.selectbox("Customer", options, key="segments_customer",
                      help="Riskiest first; pick points on the map to narrow the list.")
detail = services.customer_detail(version, chosen) if chosen is not None else None
if detail is not None:
    row = detail.row
    st.markdown(f"#### Customer {services.plain(chosen)}")
    m1, m2, m3, m4 = st.columns(4)
    risk = row.get("churn_risk")
    m1.metric("Churn risk", "–" if risk is None or pd.isna(risk) else "over 99%" if risk >= 0.995 else f"{risk:.0%}",
              border=True)
    for col, label, value in ((m2, "Segment", row.get("segment")), (m3, "Classic segment", row.get("rfm_segment"))):
        with col.container(border=True):  # names wrap here; a metric would cut "High-value loyal" at 1280 px
            st.caption(label)
            st.markdown(f"**{services.plain(str(value))}**")
    m4.metric("Orders", f"{int(row.get('frequency', 0)):,}", border=True)
    if detail.reasons:
        st.markdown("**Why this risk**")
        for r in detail.reasons:
            st.markdown(f"- {services.plain(r['sentence'])} — {r['direction']}",
                        help=f"Attribution {r['attribution']:+.3f}: how far this reason moved the churn model's score "
                             "for this customer (above 0 raises the risk).")
        faith = churn.get("faithfulness") or {}
        if faith:
            st.caption(f"Are these the real reasons? On {faith['n']} customers, setting the top reason to the "
                       f"store's typical value moved the risk by {faith['mean_change_top']:.1%} on average, a random "
                       f"other one by {faith['mean_change_random']:.1%} (the top reason mattered more for "
                       f"{faith['share_top_beats_random']:.0%} of them).", help="Faithfulness check of the "
                       "attributions: the top-attributed feature against a random one, moved to the store median.")
    st.dataframe(detail.orders, hide_index=True, key="segments_orders")
    if not detail.reviews.empty:
        st.dataframe(detail.reviews, hide_index=True, key="segments_reviews")

# ---- downloads
st.subheader("Download members")
d1, d2 = st.columns(2)
with d1:
    seg = st.selectbox("Segment", names, key="segments_download_segment")
    frame = services.members(version, segment=seg)
    st.download_button(f"Download {len(frame):,} customers (CSV)", services.members_csv(frame),
                       file_name="segment_customers.csv", mime="text/csv", key="segments_download_segment_csv")
with d2:
    band = st.selectbox("Risk band", list(services.RISK_BAND_NAMES), key="segments_download_band",
                        format_func=services.RISK_BAND_NAMES.get, disabled=not churn.get("available"))
    frame = services.members(version, band=band)
    st.download_button(f"Download {len(frame):,} customers (CSV)", services.members_csv(frame),
                       file_name=f"{band}_risk_customers.csv", mime="text/csv", key="segments_download_band_csv",
                       disabled=not churn.get("available"))
