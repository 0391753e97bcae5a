"""StoreLens router: page config, the demo store on first open, shared sidebar filters, then the chosen page."""

import os
import sys
from pathlib import Path

# Passive OpenMP waiting before torch loads: spinning threads stall on a busy 2-core machine (see engine.cli).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import dashboard  # noqa: F401  (installed package, or run from the repository root)
except ImportError:  # `streamlit run dashboard/app.py` from a checkout that is not installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from dashboard import services, views

# A local image: a ":material/...:" page icon makes every browser fetch it from a font CDN.
st.set_page_config(page_title="StoreLens", page_icon=str(Path(__file__).resolve().parent / "assets" / "storelens.png"),
                   layout="wide")

# Behind a password (`storelens serve` on a network address) the server's gate shows only its login form; a tab
# whose login ended (Log out, or expired) stops here before anything is read.
if not services.signed_in():
    st.title("StoreLens")
    st.info("You are logged out. Log in again to see this shop's data.")
    st.link_button("Log in", "/logout")  # clears the old cookie, then shows the login form
    st.stop()

# Pages by navigation section. Segments join "Customers" here.
sections = {
    "Sales": [
        st.Page(views.OVERVIEW, title="Overview", icon=":material/insights:", default=True),
        st.Page(views.FORECASTS, title="Forecasts", icon=":material/timeline:"),
    ],
    "Reviews": [
        st.Page(views.SENTIMENT, title="Sentiment", icon=":material/sentiment_satisfied:"),
        st.Page(views.EXPLAIN, title="Explain", icon=":material/psychology:"),
        st.Page(views.DRIVERS, title="Drivers", icon=":material/manage_search:"),
    ],
    "Customers": [
        st.Page(views.SEGMENTS, title="Segments", icon=":material/groups:"),
        st.Page(views.RECOMMENDATIONS, title="Recommendations", icon=":material/recommend:"),
    ],
    "Models": [
        st.Page(views.TRAINING, title="Training", icon=":material/model_training:"),
        st.Page(views.VERSIONS, title="Versions", icon=":material/history:"),
    ],
    "Data": [
        st.Page(views.UPLOAD, title="Upload", icon=":material/upload_file:"),
        st.Page(views.DATA, title="Data", icon=":material/table_view:"),
    ],
}
page = st.navigation(sections)

# The database is held only while each query runs, never for a whole page run, so a `storelens` command in a shell
# waits at most a query's length while people browse. Every part runs inside an error boundary: one sentence on the
# page, the detail in the server's log.
if busy := services.database_busy():  # told once per run, after at most a few seconds, not by every part of the page
    st.error(busy, icon=":material/hourglass_top:")
    st.stop()

with services.boundary("the demo store"):
    # An empty database opens on the built-in demo store (imported through the real importer).
    if not st.session_state.get("storelens_demo_tried") and services.store().is_empty():
        st.session_state["storelens_demo_tried"] = True
        bar = st.progress(0.0, text="Loading the demo store…")
        demo_problem = services.ensure_demo(
            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=services.plain(m)))
        bar.empty()
        if demo_problem:
            st.warning(services.plain(demo_problem))

# Sidebar filters: every page reads them through services.filters().
with st.sidebar, services.boundary("the sidebar filters"):
    st.header("Filters")
    bounds = services.date_bounds()
    if bounds is None:
        st.caption("Filters appear once orders are imported.")
        services.set_filters(None, None)
    else:
        # New data (another upload, wider bounds): the period and currency follow the latest upload.
        # (Also when the widget keys are gone: st.switch_page can drop the sidebar's widget state.)
        opening = services.opening_period(bounds)
        if st.session_state.get("storelens_opening") != opening.key or "storelens_dates" not in st.session_state:
            st.session_state["storelens_opening"] = opening.key
            st.session_state["storelens_bounds"] = bounds
            st.session_state["storelens_preset"] = opening.preset
            st.session_state["storelens_dates"] = opening.dates
            st.session_state["storelens_period_note"] = opening.note
            if opening.currency is not None:
                st.session_state["overview_currency"] = opening.currency

        def _preset_chosen() -> None:
            st.session_state["storelens_period_note"] = None  # the merchant's own choice now
            chosen = services.preset_range(bounds, st.session_state["storelens_preset"])
            if chosen is not None:
                st.session_state["storelens_dates"] = chosen

        def _dates_edited() -> None:
            st.session_state["storelens_preset"] = "Custom"
            st.session_state["storelens_period_note"] = None

        st.selectbox("Period", list(services.PRESETS), key="storelens_preset", on_change=_preset_chosen)
        dates = st.date_input(
            "Date range", key="storelens_dates", min_value=bounds[0], max_value=bounds[1], on_change=_dates_edited,
            help="KPIs compare this range with the equally long period right before it.",
        )
        options = services.categories()
        kept = [c for c in st.session_state.get("storelens_categories", []) if c in options]
        st.session_state["storelens_categories"] = kept
        chosen = st.multiselect("Categories", options, key="storelens_categories", placeholder="All categories")
        # All time sets no dates at all, so rows without one (reviews of a file with no date column) count too.
        services.set_filters(None if st.session_state["storelens_preset"] == "All time" else dates, chosen)
    if note := services.implausible_dates_note():
        st.caption(note)

if services.password_required():
    with st.sidebar:
        if st.button("Log out", icon=":material/logout:", key="storelens_logout"):
            services.sign_out()
            st.rerun()

with services.boundary(f"page {page.title}"):
    page.run()
