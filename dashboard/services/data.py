"""What the Data page asks for: any table page by page, searched, or whole as a CSV download."""

from __future__ import annotations

import pandas as pd

from engine import analytics

from . import cache
from .session import data_version, db_path, store

__all__ = ["TABLES", "browse", "count_rows", "table_csv"]

TABLES = analytics.TABLES


def browse(table: str, page: int, page_size: int, search: str | None) -> pd.DataFrame:
    """Rows of page `page` (1-based) of a table."""
    return cache.browse(db_path(), data_version(), table, page_size, (max(page, 1) - 1) * page_size, search or None)


def count_rows(table: str, search: str | None) -> int:
    """How many rows the Data page pages through."""
    return cache.count_rows(db_path(), data_version(), table, search or None)


def table_csv(table: str) -> bytes:
    """The whole table as CSV (not cached: it can be large; the download button asks for it on click)."""
    return analytics.table_csv(store(), table)
