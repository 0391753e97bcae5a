"""Recommendations: each customer's top products with the reasons (Captum attributions to their past purchases
and the product's features, checked by a counterfactual), a product's also-bought list and audience, how the
model did against simple baselines on a time split, the all-customers export, and training in the background.

Product names and ids are upload text: they reach the page only through services.plain, dataframes and the
escaped chart labels, never as HTML.
"""

import streamlit as st

from dashboard import charts, services
from dashboard.services import recommend as rs
from dashboard.services import versions as vs
from dashboard.views.widgets import job_panel

MODES = {"discovery": "Discovery: only products they have not bought",
         "replenishment": "Replenishment: repeat purchases allowed"}

st.title("Recommendations")
st.caption("What each customer is likely to buy next, learnt from your orders (returns and cancellations taken "
           "out), and why: every recommendation is traced back to the purchases and product features behind it.")


job = job_panel("rec", services.recommend_job_outcome)

version = services.recommend_active_version()
with st.container(border=True):
    st.subheader("Train" if version is None else "Retrain")
    st.caption("Learns from every order with a customer id; holds out the latest purchases to measure itself "
               "against best sellers, 'bought together' and 'bought before, then best sellers'. Runs in the "
               "background.", help=rs.METHOD_HELP)
    busy = job is not None and job.running
    if st.button("Train recommendations", key="rec_train", icon=":material/model_training:", disabled=busy):
        try:
            services.start_recommend_training()
        except services.JobBusyError as exc:
            st.warning(services.plain(exc))
        else:
            st.rerun()

if version is None:
    st.info("No recommender yet: train one above (a minute or two on a typical shop's orders).",
            icon=":material/info:")
    st.stop()
if newer := vs.newer_orders_notice("recommend", "Click **Train recommendations** above to include them."):
    st.info(newer, icon=":material/update:")

try:
    metrics = services.recommend_metrics()
    customers = services.recommend_customers()
    products = services.recommend_products()
except Exception as exc:  # missing or corrupt model files: say so, never a traceback
    st.error(f"The recommender could not be loaded: {services.plain(exc)}. Retrain it above.")
    st.stop()

# ---- evaluation
with st.container(border=True):
    st.subheader("How good are these recommendations?")
    for wins, text in services.model_verdicts(metrics):
        (st.success if wins else st.warning)(text)
    st.dataframe(services.evaluation_table(metrics), hide_index=True, column_config={
        "method": st.column_config.TextColumn(width="medium", help=rs.METHOD_HELP),
        "ranking quality": st.column_config.NumberColumn(format="%.3f", help=rs.EVALUATION_HELP["ranking quality"]),
        "found in top 10": st.column_config.NumberColumn(format="percent", help=rs.EVALUATION_HELP["found in top 10"]),
        "vs bought together": st.column_config.NumberColumn(format="%.2fx",
                                                            help=rs.EVALUATION_HELP["vs bought together"])})
    st.caption(f"Trained on purchases before {str(metrics.get('cutoff', ''))[:10]}, scored on purchases after it "
               f"(version {services.plain(version)}, {metrics.get('n_customers', 0):,} customers, "
               f"{metrics.get('n_items', 0):,} products).")

tab_customer, tab_product, tab_export = st.tabs(["Customer", "Product", "Export"])

with tab_customer:
    c1, c2, c3 = st.columns([2, 2, 1])
    customer = c1.selectbox("Customer", customers, index=None, placeholder="Type or pick a customer id",
                            key="rec_customer")
    mode = c2.radio("Mode", list(MODES), format_func=MODES.get, key="rec_mode")
    k = c3.number_input("How many", min_value=1, max_value=50, value=10, key="rec_k")
    if customer is None:
        st.caption("Pick a customer to see their history and recommendations.")
    else:
        try:
            history = services.purchase_history(customer)
            top, explained = services.customer_recommendations(customer, int(k), mode)
        except Exception as exc:
            st.error(services.plain(exc))
            st.stop()
        cold = bool(len(top) and top["cold_start"].all())
        st.markdown("**Recommended**" + (" (no history yet: popular products)" if cold else ""))
        # the full width, so the reason reads whole; the purchases it comes from are listed below
        st.dataframe(top[["rank", "product_name", "product_id", "score", "reason"]], hide_index=True,
                     column_config={"rank": st.column_config.NumberColumn(width=50),
                                    "product_name": st.column_config.TextColumn("product", width="medium"),
                                    "product_id": st.column_config.TextColumn("id", width="small"),
                                    "score": st.column_config.NumberColumn("match", format="%.3f", width="small",
                                                                           help="The model's score: higher first"),
                                    "reason": st.column_config.TextColumn(width=520)})
        with st.expander(f"Bought: {len(history):,} products, net of returns"):
            st.dataframe(history, hide_index=True)
        st.markdown("**Why?** Open a recommendation.")
        for i, (row, why) in enumerate(zip(top.itertuples(index=False), explained)):
            with st.expander(f"#{row.rank} {services.plain(row.product_name)} ({services.plain(row.product_id)})"):
                for sentence in why.get("sentences", []):
                    st.markdown(f"- {services.plain(sentence)}")
                cf = why.get("counterfactual") or {}
                for key in ("sentence", "smallest_set_sentence"):
                    if cf.get(key):
                        st.markdown(f"- **Check:** {services.plain(cf[key])}")
                st.plotly_chart(charts.attribution_bar(why.get("reasons", [])), key=f"rec_attr_{i}",
                                width="stretch")
                also = why.get("also_bought") or []
                if also:
                    st.caption("Customers who bought this also bought: " + ", ".join(
                        f"{services.plain(a['product_name'])} ({a['customers']})" for a in also[:5]))

with tab_product:
    labels = dict(zip(products["product_id"], products["product_name"])) if len(products) else {}
    product = st.selectbox("Product", list(labels), index=None, key="rec_product",
                           format_func=lambda p: f"{labels.get(p, '')} ({p})", placeholder="Type or pick a product")
    if product is not None:
        try:
            also, audience = services.also_bought(product, 15), services.recommended_to(product, 20)
        except Exception as exc:
            st.error(services.plain(exc))
            st.stop()
        a, b = st.columns(2)
        with a:
            st.markdown("**Customers who bought this also bought**")
            st.dataframe(also, hide_index=True)
        with b:
            st.markdown("**Recommended to** (discovery mode, best rank first)")
            st.dataframe(audience, hide_index=True,
                         column_config={"score": st.column_config.NumberColumn(format="%.3f")})

with tab_export:
    st.caption("Top-K for every customer as CSV (customer_id, rank, product_id, score), the same file as "
               "`storelens recommend export`; cells a spreadsheet could run as formulas are neutralised.")
    e1, e2 = st.columns(2)
    k_all = e1.number_input("K", min_value=1, max_value=100, value=10, key="rec_export_k")
    exclude = e2.checkbox("Only products they have not bought", value=True, key="rec_export_exclude")
    if st.button("Prepare CSV", key="rec_export"):
        with st.spinner("Scoring every customer…"):
            st.session_state["rec_export_file"] = (version, services.top_k_csv(int(k_all), exclude))
    prepared = st.session_state.get("rec_export_file")
    if prepared and prepared[0] == version:  # a file of an older model version is not offered
        st.download_button("Download CSV", prepared[1], file_name="recommendations.csv",
                           mime="text/csv", key="rec_download")
