"""Sentiment: negative/neutral/positive shares per category over time, significant shifts, category comparison,
average rating beside the model's sentiment, and the reviews behind any point the user clicks."""

from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from dashboard import charts, services, views
from dashboard.services import sentiment as sentiment_service
from dashboard.views.widgets import bring_into_view, model_fallback_notice
from engine.store import safe_csv_bytes

ALL = services.SENTIMENT_ALL  # the "all categories / periods / labels" option of the selectboxes
_PICK = {"category": "sentiment_pick_category", "period": "sentiment_pick_period", "label": "sentiment_pick_label"}
_FOCUS = "sentiment_focus"  # (category, period, freq) of the alert whose reviews are open


def _or_none(value):
    """A selectbox value as the services want it: None for ALL."""
    return None if value is None or (isinstance(value, str) and value == ALL) else value


st.title("Sentiment")
model_fallback_notice()
f = services.filters()
cov = services.sentiment_coverage(f)

undated = services.undated_note(f)
if cov.n_reviews == 0:
    if undated:
        st.info(services.plain(undated), icon=":material/event_busy:")
    st.info("No reviews in the selected range. Import a reviews export on the Upload page, or widen the dates.")
    st.page_link(views.UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    st.stop()

# Where the labels come from, and what is left out.
if cov.active_version is None:
    st.info("Labels come from star ratings until a model is trained. Train one on the Training page to label "
            "reviews by their text (and to include reviews without a rating).", icon=":material/info:")
    st.page_link(views.TRAINING, label="Go to Training", icon=":material/model_training:")
else:
    st.caption(
        f"Labels: the sentiment model for {cov.n_model:,} reviews "
        f"(active version {services.plain(cov.active_version)}), "
        f"star ratings for {cov.n_rating:,} reviews it has not scored yet."
    )
if undated:
    st.caption(services.plain(undated))
if cov.n_excluded:
    st.caption(f"{cov.n_excluded:,} reviews in range have neither a star rating nor a model score: they are left "
               "out of every share and test" + (" until a model scores them." if cov.active_version else
                                                 " (a trained model would label them by their text)."))
job = services.current_job() or services.current_background_job()  # e.g. labelling after a training
if cov.active_version is not None and cov.n_not_scored_by_active and job is None:
    if st.button(f"Score the {cov.n_not_scored_by_active:,} reviews the active model has not scored",
                 key="sentiment_score_new", icon=":material/bolt:"):
        try:
            services.start_scoring(only_new=True)
            st.toast("Scoring started in the background; the Training page shows its progress.")
        except services.JobBusyError as exc:
            st.warning(services.plain(exc))
if job is not None:
    st.caption(f"{services.job_title(job)} in the background ({job.fraction:.0%}; progress on the "
               "Training page): the figures use the new scores once it has finished.")

c1, c2 = st.columns([1, 2])
freq = c1.segmented_control("Periods", list(services.SENTIMENT_FREQS), default="W", key="sentiment_freq",
                            format_func=services.SENTIMENT_FREQS.get) or "W"
scan_all = c2.toggle("Alerts from all dates", value=True, key="sentiment_shift_all",
                     help="On: the shift alerts search the whole review history (the sidebar's categories still "
                          "apply). Off: only the selected dates.")
unit = "week" if freq == "W" else "month"


def _show_reviews(category: str, period: pd.Timestamp) -> None:
    """Button callback of an alert: point the review list at that category, period and negative label."""
    st.session_state[_PICK["category"]] = category
    st.session_state[_PICK["period"]] = pd.Timestamp(period)
    st.session_state[_PICK["label"]] = "negative"
    st.session_state["sentiment_view"] = "One category"
    st.session_state["sentiment_category"] = category
    st.session_state[_FOCUS] = (category, pd.Timestamp(period), st.session_state.get("sentiment_freq") or "W")


def _close_focus() -> None:
    st.session_state[_FOCUS] = None


# ---- significant shifts: at the top, so a quality problem is seen without looking for it
alerts = services.shift_alerts(f, freq, all_dates=scan_all)
now, past = alerts.now, alerts.past
with st.container(border=True):
    if now.empty and past.empty:
        last = alerts.last_period
        when = f" (last complete {unit}: {last:%Y-%m-%d})" if last is not None else ""
        st.success(f"No significant rise in negative reviews in any category{when}.", icon=":material/check_circle:")
    if not now.empty:
        st.error(f"**Negative reviews rose significantly in the last complete {unit}**", icon=":material/warning:")
        for i, row in enumerate(now.itertuples(index=False)):
            a, b = st.columns([5, 1])
            a.markdown("- " + services.shift_sentence(row._asdict(), freq),
                       help=sentiment_service.shift_p_value(row._asdict()))
            b.button("Show reviews", key=f"sentiment_now_{i}", on_click=_show_reviews, args=(row.category, row.period))
    if not past.empty:
        cats = past["category"].unique()
        st.warning(f"**Earlier spikes: {len(past)} {unit}(s) in {len(cats)} categor{'y' if len(cats) == 1 else 'ies'} "
                   f"had significantly more negative reviews than before**", icon=":material/history:")
        for i, row in enumerate(past.head(8).itertuples(index=False)):
            a, b = st.columns([5, 1])
            a.markdown("- " + services.shift_sentence(row._asdict(), freq),
                       help=sentiment_service.shift_p_value(row._asdict()))
            b.button("Show reviews", key=f"sentiment_past_{i}", on_click=_show_reviews, args=(row.category, row.period))
        if len(past) > 8:
            with st.expander(f"All {len(past)} flagged {unit}s"):
                st.dataframe(past, hide_index=True, column_config={
                    "share_negative": st.column_config.NumberColumn(format="percent"),
                    "share_negative_before": st.column_config.NumberColumn(format="percent"),
                    "p_value": st.column_config.NumberColumn(format="%.2e"),
                    "p_adjusted": st.column_config.NumberColumn(format="%.2e"),
                })
    n_early, latest_early = services.alerts_outside(alerts, f)
    if n_early:
        st.caption(f"{n_early} of these {unit}s are before the sidebar's dates (the latest: {unit} of "
                   f"{latest_early:%Y-%m-%d}): “Show reviews” opens one in the chart.")
    with st.expander("How the alerts are tested"):
        st.caption(services.shift_method(freq)
                   + (" Searched: all review dates." if scan_all else " Searched: the selected dates."))

# ---- the open alert: its week in the chart below, its reviews here (in view), and a way on to its drivers
focus = st.session_state.get(_FOCUS)
if focus and focus[2] == freq:
    f_cat, f_period, _ = focus
    with st.container(border=True, key="sentiment_alert_panel"):
        head, close = st.columns([5, 1])
        head.markdown(f"**Negative reviews of {services.plain(f_cat)}, {unit} of {f_period:%Y-%m-%d}**")
        close.button("Close", key="sentiment_focus_close", icon=":material/close:", on_click=_close_focus)
        scope = services.Filters(None, None, f.categories)
        alert_reviews = services.sentiment_reviews(scope, f_cat, f_period, freq, "negative", None, limit=50)
        st.caption(f"{len(alert_reviews):,} negative reviews that {unit}; the chart below shows the {unit} among "
                   "those before it. Select a review to explain it.")
        chosen_alert = st.dataframe(
            services.review_table(alert_reviews), hide_index=True, key="sentiment_alert_reviews", on_select="rerun",
            selection_mode="single-row", column_config={
                "rating": st.column_config.NumberColumn("stars", format="%.0f ★"),
                "label_source": st.column_config.TextColumn("from"),
                "p_negative": st.column_config.ProgressColumn("P(neg)", min_value=0.0, max_value=1.0, format="%.2f"),
                "p_positive": st.column_config.ProgressColumn("P(pos)", min_value=0.0, max_value=1.0, format="%.2f"),
                "product_name": st.column_config.TextColumn("product"),
                "text": st.column_config.TextColumn("text", width="large"),
                "review_id": st.column_config.TextColumn("review id"),
            })
        alert_rows = chosen_alert.selection.rows if hasattr(chosen_alert, "selection") else []
        a, b = st.columns(2)
        if alert_rows and alert_rows[0] < len(alert_reviews):
            st.session_state["explain_review_id"] = str(alert_reviews.iloc[alert_rows[0]]["review_id"])
            a.page_link(views.EXPLAIN, label="Explain this review", icon=":material/psychology:")
        # Drivers opens on this category and period (a page link keeps the sidebar's state; see below).
        b.page_link(views.DRIVERS, label=f"What drives {services.plain(f_cat)} reviews that {unit}",
                    icon=":material/manage_search:", query_params=services.drivers_request(f_cat, f_period, freq))
    bring_into_view("sentiment_alert_panel", focus)
    chart_f = services.alert_window(f, f_period, freq)
else:
    chart_f = f

# ---- charts
by_period = services.sentiment_by_period(chart_f, freq)
by_category = services.sentiment_categories(f)
categories = by_category["category"].tolist()


def _picked(chart_key: str) -> None:
    """on_select callback: a clicked bar sets the review list's category / period / label."""
    point = charts.selected_point(st.session_state.get(chart_key))
    if point is None:
        return
    for what in ("category", "period", "label"):
        st.session_state[_PICK[what]] = ALL if point[what] is None else point[what]


left, right = st.columns([3, 2])
with left:
    a, b = st.columns([1, 2])
    view = a.radio("Show", ["One category", "Small multiples"], key="sentiment_view", horizontal=True,
                   label_visibility="collapsed")
    if st.session_state.get("sentiment_category") not in [ALL, *categories]:
        st.session_state["sentiment_category"] = ALL
    chosen = _or_none(b.selectbox("Category", [ALL, *categories], key="sentiment_category",
                                  format_func=lambda c: "All categories" if c == ALL else str(c),
                                  disabled=view != "One category"))
    if view == "One category":
        series = services.sentiment_combined(chart_f, freq, chosen)
        fig = charts.sentiment_shares(series, freq, chosen)
    else:
        series = services.sentiment_combined(chart_f, freq, None)
        fig = charts.sentiment_small_multiples(by_period, freq)
    st.plotly_chart(fig, key="sentiment_share_chart", on_select=lambda: _picked("sentiment_share_chart"),
                    selection_mode="points")
    st.plotly_chart(charts.rating_vs_sentiment(series, freq, chosen if view == "One category" else None),
                    key="sentiment_rating_chart", on_select=lambda: _picked("sentiment_rating_chart"),
                    selection_mode="points")
with right:
    st.plotly_chart(charts.category_sentiment(by_category), key="sentiment_category_chart",
                    on_select=lambda: _picked("sentiment_category_chart"), selection_mode="points")
    st.caption("Click a bar or a point to list its reviews below. Dots: the average star rating (rated reviews "
               "only); diamonds: how positive the model found them on average, on the same 1–5 scale (the reviews it "
               "scored).", help="Diamonds: the model's average P(positive), mapped 0 → 1 star, 1 → 5 stars.")
if chart_f != f:
    st.caption(f"The charts start on {chart_f.start:%d %b %Y}, before the sidebar's dates, so the open alert's "
               f"{unit} and the {unit}s it was compared with are in view. Close the alert to go back.")

# ---- the shop's languages: how many reviews each has, and how each one's negative share moves
mix = services.sentiment_languages(f)
names = services.language_names(mix["language"])
if len(mix) > 1:
    st.subheader("Languages")
    left, right = st.columns([2, 3])
    left.plotly_chart(charts.language_mix(mix, names), key="sentiment_language_mix")
    right.plotly_chart(charts.negative_by_language(services.sentiment_languages(chart_f, freq), names, freq),
                       key="sentiment_language_trend")

# ---- the reviews behind a point
st.subheader("Reviews")
periods, in_range = services.review_periods(by_period, alerts)
if st.session_state.get(_PICK["category"]) not in [ALL, *categories]:
    st.session_state[_PICK["category"]] = ALL
picked_period = _or_none(st.session_state.get(_PICK["period"]))
if picked_period is None or pd.Timestamp(picked_period) not in periods:
    st.session_state[_PICK["period"]] = ALL
else:
    st.session_state[_PICK["period"]] = pd.Timestamp(picked_period)
if st.session_state.get(_PICK["label"]) not in [ALL, *services.SENTIMENT_LABELS]:
    st.session_state[_PICK["label"]] = ALL

c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 3])
category = _or_none(c1.selectbox("Category", [ALL, *categories], key=_PICK["category"],
                                 format_func=lambda c: "All categories" if c == ALL else str(c)))
period = _or_none(c2.selectbox(
    unit.capitalize(), [ALL, *periods], key=_PICK["period"],
    format_func=lambda p: f"All {unit}s" if isinstance(p, str) else f"{unit} of {p:%Y-%m-%d}"))
label = _or_none(c3.selectbox("Label", [ALL, *services.SENTIMENT_LABELS], key=_PICK["label"],
                              format_func=lambda x: "All labels" if x == ALL else x))
language = _or_none(c4.selectbox("Language", [ALL, *mix["language"]], key="sentiment_language",
                                 format_func=lambda x: "All languages" if x == ALL else names.get(x, x)))
search = c5.text_input("Search", key="sentiment_search", placeholder="words in reviews",
                       help="Searches the review's title and text and the product's name.")

rf = chart_f
if period is not None and period not in in_range:
    rf = services.Filters(None, None, f.categories)
    st.caption(f"The {unit} of {period:%Y-%m-%d} is outside the sidebar's dates: its reviews are listed anyway "
               "(choose 'All time' in the sidebar to see it in the charts).")
reviews = services.sentiment_reviews(rf, category, period, freq, label, search, limit=200, language=language)
total = services.sentiment_review_count(rf, category, period, freq, label, search, language=language)
st.caption(f"{total:,} reviews" + (f", showing the newest {len(reviews):,}" if total > len(reviews) else "")
           + ". Select a row to read it in full.")
table = services.review_table(reviews)
picked = st.dataframe(
    table, hide_index=True, key="sentiment_reviews", on_select="rerun", selection_mode="single-row",
    column_config={
        "rating": st.column_config.NumberColumn("rating", format="%.0f ★"),
        "label_source": st.column_config.TextColumn("from", help="model: the sentiment model's label; "
                                                                 "rating: the star rating's label"),
        "p_negative": st.column_config.ProgressColumn("P(neg)", min_value=0.0, max_value=1.0, format="%.2f"),
        "p_positive": st.column_config.ProgressColumn("P(pos)", min_value=0.0, max_value=1.0, format="%.2f"),
        "product_name": st.column_config.TextColumn("product"),
        "text": st.column_config.TextColumn("text", width="large"),
        "review_id": st.column_config.TextColumn("review id"),
    },
)
st.download_button(f"Download {'these' if total <= len(reviews) else f'the newest {len(reviews):,}'} reviews (CSV)",
                   safe_csv_bytes(table), file_name="storelens_reviews.csv", mime="text/csv",
                   key="sentiment_reviews_download", icon=":material/download:")
rows = picked.selection.rows if picked is not None and hasattr(picked, "selection") else []


if rows and rows[0] < len(reviews):
    r = reviews.iloc[rows[0]]
    with st.container(border=True):
        title, caption = services.review_heading(r)
        st.markdown(title)
        st.caption(caption)
        st.text(services.first_text(r["text"]))
        # The selected review is the one the Explain page opens on. A page link, not st.switch_page: switching
        # pages from a script run drops the sidebar's widget state (streamlit#11115), a link keeps it.
        st.session_state["explain_review_id"] = str(r["review_id"])
        if (Path(__file__).resolve().parent / "explain.py").exists():
            try:
                st.page_link(views.EXPLAIN, label="Explain this review", icon=":material/psychology:",
                             help="Which words drove the model's label (the Explain page)")
            except StreamlitAPIException:  # the file is there but the router does not list it (yet)
                st.caption("The Explain page is not part of this app yet.")
