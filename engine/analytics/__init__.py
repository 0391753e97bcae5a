"""Read-side sales analytics for the pages: KPIs, revenue over time, top products, table browsing and the upload
history, each one parameterised DuckDB query returning a DataFrame or a small dataclass."""

from engine.store import PERIOD_FREQS as FREQS
from engine.store import UNCATEGORISED, Filters

from ._sales import (
    LINE_SETS,
    OVERVIEW_QUERIES,
    Kpi,
    UploadSpan,
    categories,
    currencies,
    data_version,
    date_bounds,
    implausible_dates,
    kpis,
    latest_upload_span,
    unpriced_lines,
    only_currency,
    order_lines,
    revenue_by_category,
    top_products,
)
from ._tables import (
    TABLES,
    browse,
    count_rows,
    rejected_rows,
    table_columns,
    table_csv,
    uploads,
)

__all__ = [
    "Filters",
    "Kpi",
    "UNCATEGORISED",
    "TABLES",
    "FREQS",
    "OVERVIEW_QUERIES",
    "date_bounds",
    "UploadSpan",
    "latest_upload_span",
    "unpriced_lines",
    "implausible_dates",
    "categories",
    "data_version",
    "currencies",
    "only_currency",
    "LINE_SETS",
    "order_lines",
    "kpis",
    "revenue_by_category",
    "top_products",
    "browse",
    "count_rows",
    "table_columns",
    "table_csv",
    "uploads",
    "rejected_rows",
]
