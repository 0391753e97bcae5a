"""Overview: headline KPIs against the previous period, revenue over time by category, top products."""

import streamlit as st

from dashboard import charts, services, views

st.title("Overview")
f = services.filters()

if services.date_bounds() is None:
    st.info("No orders yet. Import an orders export on the Upload page to see your KPIs.")
    st.page_link(views.UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    st.stop()

# KPIs: one metric per headline number, delta against the equally long period before.
period = f"{f.start:%d %b %Y} – {f.end:%d %b %Y}" if f.start and f.end else "all dates"
scope = f"{len(f.categories)} categories" if f.categories else "all categories"
st.caption(f"{period} · {scope} · change against the previous period of the same length")
kpis = services.kpis(f)
for column, k in zip(st.columns(len(kpis)), kpis):
    label = f"{k.label} ({k.unit})" if k.unit else k.label
    column.metric(label, services.kpi_value(k), services.kpi_delta(k), border=True,
                  help=None if k.previous is None else f"Previous period: {services.kpi_value(k, k.previous)}")

# Revenue over time by category.
left, right = st.columns([3, 2])
with left:
    freq = st.segmented_control("Revenue per", list(services.FREQ_LABELS), default="W", key="overview_freq",
                                format_func=services.FREQ_LABELS.get) or "W"
    st.plotly_chart(charts.revenue_over_time(services.revenue_by_category(f, freq), freq), key="revenue_chart")

# Top products.
with right:
    n = st.selectbox("Top products", [5, 10, 20, 50], index=1, key="overview_top_n")
    top = services.top_products(f, n)
    st.plotly_chart(charts.top_products_bar(top), key="top_chart")

st.dataframe(top, hide_index=True, column_config={
    "revenue": st.column_config.NumberColumn("revenue", format="%.2f"),
    "units": st.column_config.NumberColumn("units", format="%.0f"),
    "order_lines": st.column_config.NumberColumn("order lines", format="%d"),
})
