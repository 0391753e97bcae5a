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

st.set_page_config(page_title="StoreLens", page_icon=":material/storefront:", layout="wide")

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
    "Models": [st.Page(views.TRAINING, title="Training", icon=":material/model_training:")],
    "Data": [
        st.Page(views.UPLOAD, title="Upload", icon=":material/upload_file:"),
        st.Page(views.DATA, title="Data", icon=":material/table_view:"),
    ],
}
page = st.navigation(sections)

# The database is held for this run only: between runs a shell's `storelens` commands can use it.
with services.page_session() as problem:
    if problem:
        st.error(problem)
        st.stop()

    # An empty database opens on the built-in demo store (imported through the real importer).
    if services.store().is_empty() and not st.session_state.get("storelens_demo_tried"):
        st.session_state["storelens_demo_tried"] = True
        bar = st.progress(0.0, text="Loading the demo store…")
        demo_problem = services.ensure_demo(
            progress=lambda f, m: bar.progress(min(max(f, 0.0), 1.0), text=services.plain(m)))
        bar.empty()
        if demo_problem:
            st.warning(services.plain(demo_problem))

    # Sidebar filters: every page reads them through services.filters().
    with st.sidebar:
        st.header("Filters")
        bounds = services.date_bounds()
        if bounds is None:
            st.caption("Filters appear once orders are imported.")
            services.set_filters(None, None)
        else:
            # New data widens the range: back to the default period whenever the data's bounds change.
            # (Also when the widget keys are gone: st.switch_page can drop the sidebar's widget state.)
            if st.session_state.get("storelens_bounds") != bounds or "storelens_dates" not in st.session_state:
                st.session_state["storelens_bounds"] = bounds
                preset = services.default_preset(bounds)
                st.session_state["storelens_preset"] = preset
                st.session_state["storelens_dates"] = services.preset_range(bounds, preset)

            def _preset_chosen() -> None:
                chosen = services.preset_range(bounds, st.session_state["storelens_preset"])
                if chosen is not None:
                    st.session_state["storelens_dates"] = chosen

            def _dates_edited() -> None:
                st.session_state["storelens_preset"] = "Custom"

            st.selectbox("Period", list(services.PRESETS), key="storelens_preset", on_change=_preset_chosen)
            dates = st.date_input(
                "Date range", key="storelens_dates", min_value=bounds[0], max_value=bounds[1], on_change=_dates_edited,
                help="KPIs compare this range with the equally long period right before it.",
            )
            options = services.categories()
            kept = [c for c in st.session_state.get("storelens_categories", []) if c in options]
            st.session_state["storelens_categories"] = kept
            chosen = st.multiselect("Categories", options, key="storelens_categories", placeholder="All categories")
            services.set_filters(dates, chosen)

    page.run()
