"""Page scripts of the app, one folder per navigation section, run by st.navigation in dashboard/app.py (the scripts
are not imported as modules); this package names each page's path once, for the router and for links between pages.

Not named `pages/`: a `pages/` folder next to the entrypoint switches Streamlit to its legacy multipage
mode, which runs a page file on its own (without the router: no sidebar filters, no demo) when a session
opens on that page's URL before any session has run the router, and in every AppTest rerun.
"""

__all__ = ["OVERVIEW", "FORECASTS", "SENTIMENT", "EXPLAIN", "DRIVERS", "SEGMENTS", "RECOMMENDATIONS", "TRAINING",
           "VERSIONS", "UPLOAD", "DATA"]

# Paths relative to dashboard/app.py, as st.Page, st.page_link and st.switch_page take them. The URL of a page is
# its file name (e.g. /sentiment), whatever its section.
OVERVIEW = "views/sales/overview.py"
FORECASTS = "views/sales/forecasts.py"
SENTIMENT = "views/reviews/sentiment.py"
EXPLAIN = "views/reviews/explain.py"
DRIVERS = "views/reviews/drivers.py"
SEGMENTS = "views/customers/segments.py"
RECOMMENDATIONS = "views/customers/recommendations.py"
TRAINING = "views/models/training.py"
VERSIONS = "views/models/versions.py"
UPLOAD = "views/data/upload.py"
DATA = "views/data/data.py"
