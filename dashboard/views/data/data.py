"""Data: browse any table page by page, search it, download it whole as CSV."""

import streamlit as st

from dashboard import services

st.title("Data")
st.caption("Whole tables as stored; the sidebar filters apply to Overview and the analysis pages.")

left, middle, right = st.columns([2, 4, 1])
table = left.selectbox("Table", services.TABLES, key="data_table")
search = middle.text_input("Search", key="data_search", placeholder="Text to look for in any text column")
page_size = right.selectbox("Rows per page", [25, 50, 100, 500], index=2, key="data_page_size")

total = services.count_rows(table, search)
pages = max((total + page_size - 1) // page_size, 1)
page_key = f"data_page_{table}"
if st.session_state.get("data_last_search") != search or st.session_state.get(page_key, 1) > pages:
    st.session_state.pop(page_key, None)  # a new search, or fewer rows than before: back to the first page
st.session_state["data_last_search"] = search
page = st.session_state.get(page_key, 1)
st.dataframe(services.browse(table, page, page_size, search), hide_index=True, height=600)

first = (page - 1) * page_size + 1 if total else 0
st.caption(f"Rows {first:,}–{min(page * page_size, total):,} of {total:,}"
           + (" matching the search" if search else ""))
st.pagination(pages, key=page_key)

st.download_button(f"Download all of {table} (CSV)", data=lambda: services.table_csv(table),
                   file_name=f"{table}.csv", mime="text/csv", on_click="ignore", icon=":material/download:")
