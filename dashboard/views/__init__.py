"""Page scripts of the app, run by st.navigation in dashboard/app.py (not imported as modules).

Not named `pages/`: a `pages/` folder next to the entrypoint switches Streamlit to its legacy multipage
mode, which runs a page file on its own (without the router: no sidebar filters, no demo) when a session
opens on that page's URL before any session has run the router, and in every AppTest rerun.
"""
