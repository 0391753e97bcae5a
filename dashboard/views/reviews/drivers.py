"""Drivers: the words and phrases that push a category's reviews toward negative and toward positive in a period,
how many reviews contain each, the change against the previous period, and the reviews behind any driver.

Attributions come from the active sentiment model (Captum, engine.explain.category_drivers over a seeded sample);
results are stored per model version, so a category and period is computed once.
"""

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, services, views

st.title("Drivers")
st.caption("What is driving negative (and positive) reviews in a category: the words the sentiment model leans on "
           "most, summed over the category's reviews in a period.")

if services.sentiment_active_version() is None:
    st.info("No sentiment model yet: drivers need a trained model. Train one on the Training page, then come back "
            "here.", icon=":material/info:")
    st.page_link(views.TRAINING, label="Go to Training", icon=":material/model_training:")
    st.stop()

f = services.filters()
by_category = services.sentiment_categories(services.Filters(None, None, f.categories))
if by_category.empty:
    st.info("No reviews yet. Import a reviews export on the Upload page.")
    st.page_link(views.UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    st.stop()

# Most negative category first: where a merchant looks for a cause.
categories = by_category.sort_values(["share_negative", "n"], ascending=[False, False])["category"].tolist()
if st.session_state.get("drivers_category") not in categories:
    st.session_state["drivers_category"] = categories[0]
c1, c2, c3 = st.columns([2, 2, 1])
category = c1.selectbox("Category", categories, key="drivers_category",
                        help="Ordered by share of negative reviews, highest first.")
default = services.driver_period(f, category)
if default is None:
    st.info("The reviews of this category have no dates, so there is no period to look at.")
    st.stop()
if st.session_state.get("drivers_defaults") != (category, default):  # new category or new sidebar dates
    st.session_state["drivers_defaults"] = (category, default)
    st.session_state["drivers_dates"] = default
dates = c2.date_input("Period", key="drivers_dates",
                      help="Defaults to the sidebar's dates. Compared with the period of the same length before it.")
sample = c3.select_slider("Sample size", services.DRIVER_SAMPLE_SIZES, value=100, key="drivers_sample",
                          help="At most this many reviews per period are attributed (a seeded random sample).")
if not isinstance(dates, (tuple, list)) or len(dates) < 2:
    st.info("Pick the period's last day too.")
    st.stop()
start, last = dates[0], dates[1]
end = last + timedelta(days=1)  # the engine's periods are [start, end)
prev_start = start - (end - start)
n_now, n_prev = services.driver_review_counts(category, start, end)
st.caption(f"{n_now:,} reviews with text from {start:%Y-%m-%d} to {last:%Y-%m-%d}; the previous period "
           f"({prev_start:%Y-%m-%d} to {start - timedelta(days=1):%Y-%m-%d}) has {n_prev:,}.")
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
    n = min(sample, n_now) + min(sample, n_prev)
    st.info(f"Not computed yet for this category, period and sample size: {n:,} reviews will be attributed "
            "(roughly 0.1–1 s each on a CPU). Results are kept for this model version.", icon=":material/info:")
    if st.button("Find the drivers", key="drivers_compute", icon=":material/manage_search:", type="primary"):
        bar = st.progress(0.0, text="Attributing reviews…")
        try:
            df = services.drivers(category, start, end, sample, compute=True,
                                  progress=lambda x, m: bar.progress(min(max(float(x), 0.0), 1.0),
                                                                     text=services.plain(m)))
        except (OSError, RuntimeError, ValueError) as exc:  # e.g. the model folder is not writable
            st.error(f"The drivers could not be computed: {services.plain(exc)}", icon=":material/error:")
            st.stop()
        finally:
            bar.empty()
        if df is not None:
            st.rerun()  # redraw without the button
        st.error("The drivers were computed but could not be stored next to the model; check that the "
                 "database's .models folder is writable.", icon=":material/error:")
    st.stop()

meta = df.attrs
st.caption(
    f"Sample: {meta.get('sample_size', 0):,} of {meta.get('n_available', n_now):,} reviews in the period, "
    f"{meta.get('prev_sample_size', 0):,} of {meta.get('prev_n_available', n_prev):,} in the previous one (seeded). "
    "Bars: attribution summed over the sampled reviews that contain the word (probability units, Layer "
    "Integrated Gradients, 16 steps); 'change' is the per-review attribution minus the previous period's "
    f"(empty where the word is new). Model version {services.plain(meta.get('model_version') or '–')}."
)

neg = services.top_drivers(df, "negative", 10)
pos = services.top_drivers(df, "positive", 10)
table_columns = {
    "term": st.column_config.TextColumn("word or phrase"),
    "n_reviews": st.column_config.NumberColumn("reviews", help="Sampled reviews in the period that contain it"),
    "share_reviews": st.column_config.NumberColumn("share", format="percent"),
    "mean": st.column_config.NumberColumn("per review", format="%+.3f"),
    "change": st.column_config.NumberColumn("change", format="%+.3f",
                                            help="Per-review attribution minus the previous period's"),
    "prev_n_reviews": st.column_config.NumberColumn("reviews before"),
}


left, right = st.columns(2)
with left:
    st.plotly_chart(charts.drivers_bar(neg, "negative"), key="drivers_negative_chart")
    st.dataframe(services.driver_table(neg, "negative"), hide_index=True, column_config=table_columns,
                 key="drivers_negative")
with right:
    st.plotly_chart(charts.drivers_bar(pos, "positive"), key="drivers_positive_chart")
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
rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []
if rows and rows[0] < len(found):
    r = found.iloc[rows[0]]
    with st.container(border=True):
        st.text(" · ".join(str(v) for v in (r["title"], r["text"]) if isinstance(v, str) and v.strip()))
        if st.button("Explain this review", key="drivers_explain", icon=":material/psychology:"):
            st.session_state["explain_review_id"] = str(r["review_id"])
            st.switch_page(views.EXPLAIN)
