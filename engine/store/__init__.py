"""The embedded DuckDB store: one database file with the contract's tables, its migrations, the connection
that the app and the CLI take turns on, and the SQL rules every query shares."""

from ._connection import (
    DatabaseLockedError,
    Store,
    default_db_path,
    default_wait,
    open_shared,
    read_df,
    read_rows,
)
from ._exports import safe_cell, safe_csv_bytes, safe_frame, safe_select_sql, write_safe_csv
from ._migrations import MIGRATIONS, SCHEMA_VERSION
from ._sql import (
    LABELS,
    PERIOD_FREQS,
    PURCHASE_LINE_SQL,
    REVENUE_LINE_SQL,
    UNCATEGORISED,
    Filters,
    check_freq,
    compose_text,
    day_start,
    filter_where,
    label_index,
    labels_from_ratings,
    model_text_sql,
    period_bounds,
    rating_label_sql,
)

__all__ = [
    "Store",
    "DatabaseLockedError",
    "default_db_path",
    "default_wait",
    "open_shared",
    "read_df",
    "read_rows",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Filters",
    "UNCATEGORISED",
    "LABELS",
    "PERIOD_FREQS",
    "REVENUE_LINE_SQL",
    "PURCHASE_LINE_SQL",
    "filter_where",
    "day_start",
    "check_freq",
    "period_bounds",
    "rating_label_sql",
    "label_index",
    "labels_from_ratings",
    "compose_text",
    "model_text_sql",
    "safe_cell",
    "safe_frame",
    "safe_csv_bytes",
    "write_safe_csv",
    "safe_select_sql",
]
