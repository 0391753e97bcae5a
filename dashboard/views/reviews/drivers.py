"""Drivers: the words and phrases that push a category's reviews toward negative and toward positive in a period,
how many reviews contain each, the change against the previous period, and the reviews behind any driver.

Attributions come from the active sentiment model (Captum, engine.explain.category_drivers over a seeded sample),
computed in the background with progress; results are stored per model version, so a category and period is
computed once.
"""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, services, views
from dashboard.views.widgets import model_fallback_notice, require_sentiment_model
from engine.store import safe_csv_bytes

st.title("Drivers")
model_fallback_notice()
st.caption("What is driving negative (and positive) reviews in a category: the words that push the label the app "
           "shows (the sentiment model's decision, as on the Explain page) the most, summed over the category's "
           "reviews in a period.")

require_sentiment_model("No sentiment model yet: drivers need a trained model. Train one on the Training page, "
                        "then come back here.")

f = services.filters()
by_category = services.sentiment_categories(services.Filters(None, None, f.categories))
if by_category.empty:
    st.info("No reviews yet. Import a reviews export on the Upload page.")
    st.page_link(views.UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    st.stop()

# Categories with the most reviews first. The page opens on what the merchant came for: the category and period an
# alert or a review handed over (the link's query parameters: category, from, to), else the latest alert's, else the
# busiest one. A request is applied once, so the merchant can change the view afterwards.
categories = by_category.sort_values(["n", "category"], ascending=[False, True])["category"].tolist()
request = services.read_drivers_request(st.query_params.to_dict())
if request and request != st.session_state.get("drivers_applied") and request[0] in categories:
    st.session_state["drivers_applied"] = request
    st.session_state["drivers_category"] = request[0]
    st.session_state["drivers_defaults"] = (request[0], services.driver_period(f, request[0]))
    st.session_state["drivers_dates"] = (request[1], request[2])
elif st.session_state.get("drivers_category") not in categories:
    alerts = services.shift_alerts(f, "W", all_dates=True)
    flagged = pd.concat([alerts.now, alerts.past]) if alerts.periods else pd.DataFrame()
    latest = flagged.sort_values("period").iloc[-1] if len(flagged) else None
    first = services.default_driver_category(by_category, None if latest is None else (latest["category"],
                                                                                       latest["period"]))
    st.session_state["drivers_category"] = first
    if latest is not None and latest["category"] == first:
        _, first_day, last_day = services.read_drivers_request(services.drivers_request(first, latest["period"], "W"))
        st.session_state["drivers_defaults"] = (first, services.driver_period(f, first))
        st.session_state["drivers_dates"] = (first_day, last_day)
c1, c2, c3 = st.columns([2, 2, 1])
category = c1.selectbox("Category", categories, key="drivers_category", help="Most reviews first.")
default = services.driver_period(f, category)
if default is None:
    st.info("The reviews of this category have no dates, so there is no period to look at.")
    st.stop()
if st.session_state.get("drivers_defaults") != (category, default):  # new category or new sidebar dates
    st.session_state["drivers_defaults"] = (category, default)
    st.session_state["drivers_dates"] = default
dates = c2.date_input("Period", key="drivers_dates",
                      help="Opens on an alert's week, or the sidebar's dates when this category has reviews in them "
                           "(else its last 90 days of reviews). Compared with the period of the same length before.")
sample = c3.select_slider("Reviews to read", services.DRIVER_SAMPLE_SIZES, value=100, key="drivers_sample",
                          help="At most this many reviews per period are read (a fixed random sample): more is "
                               "steadier and slower.")
if not isinstance(dates, (tuple, list)) or len(dates) < 2:
    st.info("Pick the period's last day too.")
    st.stop()
start, last = dates[0], dates[1]
end = last + timedelta(days=1)  # the engine's periods are [start, end)
prev_start = start - (end - start)
n_now, n_prev = services.driver_review_counts(category, start, end)
st.caption(f"{n_now:,} reviews with text from {start:%d %b %Y} to {last:%d %b %Y}; the period before "
           f"({prev_start:%d %b %Y} to {start - timedelta(days=1):%d %b %Y}) has {n_prev:,}.")
if n_now == 0:
    st.info("No reviews with text in this category and period. Widen the period or pick another category.")
    st.stop()

try:
    df = services.drivers(category, start, end, sample)
except services.ExplainUnavailable as exc:
    st.error(services.plain(exc), icon=":material/error:")
    st.page_link(views.TRAINING, label="Go to Training", icon=":material/model_training:")
    st.stop()

if df is None:
    job = services.drivers_job(category, start, end, sample)
    if job is not None and job.running:
        @st.fragment(run_every=1.0)
        def _progress() -> None:
            """Redrawn every second while the drivers are computed; the whole page reruns when they are done."""
            if job.running:
                st.progress(job.fraction, text=services.job_progress_text(job))
            else:
                st.rerun()

        _progress()
        st.caption("This runs in the background: you can use other pages meanwhile and come back.")
        if note := services.engine_note():
            st.caption(note)
        st.stop()
    if job is not None and job.status == "failed":
        st.error(f"The drivers could not be computed: {services.plain(job.error)}", icon=":material/error:")
    n = min(sample, n_now) + min(sample, n_prev)
    st.info(f"Not computed yet for this category, period and sample: {n:,} reviews to read, about "
            f"{services.duration(services.driver_seconds(n))} on this machine. It runs in the background; the result "
            "is kept for this model version, so it is computed once.", icon=":material/info:")
    other = services.current_job()
    if other is not None:
        st.caption(f"Waiting for: {services.job_title(other)} (running in the background).")
    if st.button("Find the drivers", key="drivers_compute", icon=":material/manage_search:", type="primary",
                 disabled=other is not None):
        try:
            services.start_drivers(category, start, end, sample, n)
            st.rerun()
        except services.JobBusyError as exc:
            st.warning(services.plain(exc))
    st.stop()

meta = df.attrs
st.caption(
    f"Sample: {meta.get('sample_size', 0):,} of {meta.get('n_available', n_now):,} reviews in the period, "
    f"{meta.get('prev_sample_size', 0):,} of {meta.get('prev_n_available', n_prev):,} in the period before. "
    "A bar is how much the word pushed the model's verdict, added up over the reviews that use it; 'change' is "
    "its push per review against the period before ('new this period' when it was not used then). "
    f"Model version {services.plain(meta.get('model_version') or '–')}. Click a bar to list its reviews."
)

neg = services.top_drivers(df, "negative", 10)
pos = services.top_drivers(df, "positive", 10)
table_columns = {
    "term": st.column_config.TextColumn("word or phrase"),
    "n_reviews": st.column_config.NumberColumn("reviews", help="Sampled reviews in the period that use it"),
    "share_reviews": None,  # the reviews column says it; a half-width table has no room for both
    "mean": st.column_config.NumberColumn("push", format="%+.3f", help="How much it pushes one review's verdict"),
    "change": st.column_config.TextColumn("change", help="Push per review against the period before"),
    "prev_n_reviews": st.column_config.NumberColumn("before", help="Reviews that used it in the period before"),
}


def _term_clicked(chart: str, toward: str) -> None:
    """on_select callback of a drivers chart: the clicked word's reviews are listed below."""
    term = services.selected_term(st.session_state.get(chart))
    if term is not None:
        st.session_state["drivers_term"] = f"{term} (toward {toward})"


left, right = st.columns(2)
with left:
    st.plotly_chart(charts.drivers_bar(neg, "negative"), key="drivers_negative_chart", selection_mode="points",
                    on_select=lambda: _term_clicked("drivers_negative_chart", "negative"))
    st.dataframe(services.driver_table(neg, "negative"), hide_index=True, column_config=table_columns,
                 key="drivers_negative")
with right:
    st.plotly_chart(charts.drivers_bar(pos, "positive"), key="drivers_positive_chart", selection_mode="points",
                    on_select=lambda: _term_clicked("drivers_positive_chart", "positive"))
    st.dataframe(services.driver_table(pos, "positive"), hide_index=True, column_config=table_columns,
                 key="drivers_positive")

# ---- the reviews behind a driver
st.subheader("Reviews containing a driver")
terms = {f"{t} (toward negative)": t for t in neg["term"]}
terms.update({f"{t} (toward positive)": t for t in pos["term"]})
if not terms:
    st.info("No word pushes these reviews clearly in either direction (a term needs at least two reviews).")
    st.stop()
if st.session_state.get("drivers_term") not in terms:
    st.session_state["drivers_term"] = next(iter(terms))
term = terms[st.selectbox("Driver", list(terms), key="drivers_term")]
found = services.driver_reviews(category, start, end, term, limit=50)
total = int(found["n_total"].iloc[0]) if not found.empty else 0
st.caption(f"{total:,} reviews in the period contain “{services.plain(term)}”"
           + (f", showing the newest {len(found):,}" if total > len(found) else "")
           + ". Select a row to explain it.")
table = found.assign(date=pd.to_datetime(found["review_ts"]).dt.date)[
    ["date", "rating", "label", "title", "text", "review_id"]]
picked = st.dataframe(
    table, hide_index=True, key="drivers_reviews", on_select="rerun", selection_mode="single-row",
    column_config={"rating": st.column_config.NumberColumn("rating", format="%.0f ★"),
                   "text": st.column_config.TextColumn("text", width="large"),
                   "review_id": st.column_config.TextColumn("review id")},
)
st.download_button("Download these reviews (CSV)", safe_csv_bytes(table), file_name="storelens_driver_reviews.csv",
                   mime="text/csv", key="drivers_reviews_download", icon=":material/download:")
rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
if rows and rows[0] < len(found):
    r = found.iloc[rows[0]]
    with st.container(border=True):
        st.text(" · ".join(str(v) for v in (r["title"], r["text"]) if isinstance(v, str) and v.strip()))
        if st.button("Explain this review", key="drivers_explain", icon=":material/psychology:"):
            st.session_state["explain_review_id"] = str(r["review_id"])
            st.switch_page(views.EXPLAIN)
