"""Overview: headline KPIs against the previous period, revenue over time by category, top products, one currency
at a time, and the order lines behind any KPI or bar the merchant clicks (downloadable as formula-safe CSV)."""

from datetime import timedelta

import streamlit as st

from dashboard import charts, services, views
from dashboard.views.widgets import bring_into_view
from engine.store import safe_csv_bytes

_DRILL = "overview_drill"  # the RowsQuery of the last clicked KPI or bar
ROWS_SHOWN = 500
KPI_HELP = {
    "revenue": "What your orders brought in, returns taken off; cancelled orders do not count.",
    "orders": "Orders with at least one item bought (not cancelled).",
    "aov": "Average order value: revenue divided by orders.",
    "customers": "Customers who ordered (guest checkouts without an email or id are not counted).",
    "repeat_rate": "Share of those customers who ordered two or more times in the period.",
}
DOWNLOAD_MAX = 50_000  # a download bigger than this is the Data page's whole-table export

st.title("Overview")
f = services.filters()

if services.date_bounds() is None:
    if undated := services.count_rows("orders", None):  # a basket log: lines without dates
        st.info(f"Your {undated:,} order lines have no dates, so there is no period to show KPIs or trends for: "
                "map a date column on the Upload page (tick Replace) to see them. Recommendations and Segments "
                "use the orders as they are.")
    else:
        st.info("No orders yet. Import an orders export on the Upload page to see your KPIs.")
    st.page_link(views.UPLOAD, label="Go to Upload", icon=":material/upload_file:")
    st.stop()

if note := services.period_note():  # right after an upload: the period follows it, and says so
    st.info(services.plain(note), icon=":material/upload_file:")
if note := services.unpriced_note():  # a basket log: no money figures, said once
    st.info(note, icon=":material/money_off:")

# Money is never added up across currencies: with several, the merchant picks one.
found = services.currencies()
currency = None
if len(found) > 1:
    if st.session_state.get("overview_currency") not in found:
        st.session_state["overview_currency"] = found[0]
    currency = st.segmented_control(
        "Currency", found, key="overview_currency", format_func=services.currency_label,
        help="Your orders come in several currencies. Amounts are never added up across currencies: every figure "
             "on this page counts the orders of the currency chosen here.")
    if currency is None:  # deselected; "" (lines without a currency) is a choice of its own
        currency = found[0]

# KPIs: one metric per headline number, delta against the equally long period before.
period = f"{f.start:%d %b %Y} – {f.end:%d %b %Y}" if f.start and f.end else "all dates"
scope = f"{len(f.categories)} categories" if f.categories else "all categories"
kpis = services.kpis(f, currency)
unit = next((k.unit for k in kpis if k.unit), None)
money = (f"amounts in {services.currency_label(currency)}" if currency is not None
         else f"amounts in {unit}" if unit else "amounts as imported (no currency given)")
st.caption(f"{period} · {scope} · {money} · change against the previous period of the same length")


def _drill(q: services.RowsQuery | None) -> None:
    """Show the rows behind a clicked figure (None clears them)."""
    st.session_state[_DRILL] = q


for column, k in zip(st.columns(len(kpis)), kpis):
    before = "" if k.previous is None else f" Previous period: {services.kpi_value(k, k.previous)}."
    column.metric(services.kpi_label(k), services.kpi_value(k), services.kpi_delta(k), border=True,
                  help=KPI_HELP.get(k.key, "") + before)
    column.button("See the orders", key=f"overview_kpi_{k.key}", type="tertiary", icon=":material/table_rows:",
                  on_click=_drill, args=(services.from_kpi(k.key, k.label),))

# Revenue over time by category, and top products: a click on a bar lists its order lines below.
def _picked(chart: str) -> None:
    """on_select callback of the two charts."""
    state = st.session_state.get(chart)
    q = (services.from_revenue_point(state, st.session_state.get("overview_freq") or "W") if chart == "revenue_chart"
         else services.from_product_bar(state))
    if q is not None:
        _drill(q)


left, right = st.columns([3, 2])
with left:
    freq = st.segmented_control("Revenue per", list(services.FREQ_LABELS), default="W", key="overview_freq",
                                format_func=services.FREQ_LABELS.get) or "W"
    st.plotly_chart(charts.revenue_over_time(services.revenue_by_category(f, freq, currency), freq, unit),
                    key="revenue_chart", on_select=lambda: _picked("revenue_chart"), selection_mode="points")
with right:
    n = st.selectbox("Top products", [5, 10, 20, 50], index=1, key="overview_top_n")
    top = services.top_products(f, n, currency)
    st.plotly_chart(charts.top_products_bar(top, unit), key="top_chart", on_select=lambda: _picked("top_chart"),
                    selection_mode="points")

money_label = f"revenue ({unit})" if unit else "revenue"
st.dataframe(top, hide_index=True, column_config={
    "product_id": st.column_config.TextColumn("product id"),
    "product_name": st.column_config.TextColumn("product"),
    "revenue": st.column_config.NumberColumn(money_label, format="%.2f"),
    "units": st.column_config.NumberColumn("units sold", format="%.0f"),
    "order_lines": st.column_config.NumberColumn("order lines", format="%d"),
})

# ---- the rows behind the last clicked KPI or bar
q = st.session_state.get(_DRILL)
if isinstance(q, services.RowsQuery):
    with st.container(border=True, key="overview_rows"):
        head, clear = st.columns([5, 1])
        head.subheader(services.plain(services.describe(q, currency if currency is not None else unit)))
        clear.button("Close", key="overview_drill_close", icon=":material/close:", on_click=_drill, args=(None,))
        rows, total = services.order_rows(f, currency, q, ROWS_SHOWN)
        # a bar of one week or month lists that period's lines: the caption names it, not the sidebar's dates
        shown = (f"{q.period[0]:%d %b %Y} – {q.period[1] - timedelta(days=1):%d %b %Y}" if q.period else period)
        st.caption(f"{total:,} order lines in {shown}"
                   + (f", showing the newest {len(rows):,}" if total > len(rows) else "")
                   + " · the same filters as the figure (dates, categories, currency).")
        st.dataframe(rows, hide_index=True, key="overview_rows_table", column_config={
            "order_ts": st.column_config.DatetimeColumn("ordered", format="YYYY-MM-DD HH:mm"),
            "order_id": st.column_config.TextColumn("order"),
            "line_no": st.column_config.NumberColumn("line", format="%d"),
            "customer_id": st.column_config.TextColumn("customer"),
            "product_id": st.column_config.TextColumn("product id"),
            "product_name": st.column_config.TextColumn("product"),
            "unit_price": st.column_config.NumberColumn("unit price", format="%.2f"),
            "revenue": st.column_config.NumberColumn("revenue", format="%.2f"),
            "batch_id": st.column_config.TextColumn("upload"),
        })
        if total > len(rows):
            rows, _ = services.order_rows(f, currency, q, min(total, DOWNLOAD_MAX))
        st.download_button(f"Download {'these' if total <= DOWNLOAD_MAX else f'the newest {DOWNLOAD_MAX:,}'} "
                           "rows (CSV)", safe_csv_bytes(rows), file_name="storelens_rows.csv", mime="text/csv",
                           key="overview_rows_download", icon=":material/download:")
    bring_into_view("overview_rows", q)
