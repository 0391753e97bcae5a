"""Table browsing, CSV export and the upload history for the Data and Upload pages; table and column names only
ever come from the engine's own list."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from engine.store import Store, safe_select_sql
from engine.store import read_df as _df
from engine.store import read_rows as _rows

TABLES: tuple[str, ...] = ("orders", "reviews", "products", "uploads", "rejected_rows")
_ORDER_BY = {
    "orders": "order_ts, order_id, line_no",
    "reviews": "review_ts, review_id",
    "products": "product_id",
    "uploads": "uploaded_at DESC",
    "rejected_rows": "batch_id, row_number",
}


def _check_table(table: str) -> str:
    """Only the engine's own table names are ever put into SQL text."""
    if table not in TABLES:
        raise ValueError(f"unknown table '{table}'; choose one of: {', '.join(TABLES)}")
    return table





def table_columns(store: Store, table: str, text_only: bool = False) -> list[str]:
    """Column names of one of TABLES, in table order (only VARCHAR ones with text_only)."""
    rows = _rows(
        store,
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' "
        "AND (NOT ? OR data_type = 'VARCHAR') ORDER BY ordinal_position",
        [_check_table(table), text_only],
    )
    return [r[0] for r in rows]


def _search(store: Store, table: str, search: str | None) -> tuple[str, list]:
    """Case-insensitive substring match on any text column (ILIKE per column is ~7x faster than one concat)."""
    if not search or not search.strip():
        return "TRUE", []
    text = search.strip()
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    cols = table_columns(store, table, text_only=True)
    if not cols:
        return "FALSE", []
    where = " OR ".join(f'"{c}" ILIKE ? ESCAPE \'\\\'' for c in cols)
    return f"({where})", [pattern] * len(cols)


def browse(store: Store, table: str, limit: int = 100, offset: int = 0, search: str | None = None) -> pd.DataFrame:
    """One page of a table, optionally only rows containing `search`, for the Data page."""
    table = _check_table(table)
    where, params = _search(store, table, search)
    sql = f"SELECT * FROM {table} WHERE {where} ORDER BY {_ORDER_BY[table]} LIMIT ? OFFSET ?"
    return _df(store, sql, [*params, max(int(limit), 0), max(int(offset), 0)])


def count_rows(store: Store, table: str, search: str | None = None) -> int:
    """Number of rows browse() pages through, to size the pager."""
    table = _check_table(table)
    where, params = _search(store, table, search)
    return int(_rows(store, f"SELECT count(*) FROM {table} WHERE {where}", params)[0][0])


def table_csv(store: Store, table: str) -> bytes:
    """The whole table as formula-safe CSV bytes, written by DuckDB (not pandas) so big tables stay fast."""
    table = _check_table(table)
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="storelens-export-")
    os.close(fd)
    try:
        cur = store.cursor()
        try:
            types = cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                "AND table_schema = 'main' ORDER BY ordinal_position", [table]).fetchall()
            cur.execute(f"COPY (SELECT {safe_select_sql(types)} FROM {table} ORDER BY {_ORDER_BY[table]}) "
                        "TO ? (HEADER, DELIMITER ',')", [tmp])
        finally:
            cur.close()
        return Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)


def uploads(store: Store) -> pd.DataFrame:
    """Upload history, newest first, with per-file counts and the mapping used."""
    return _df(
        store,
        """SELECT batch_id, file_name, format, kind, rows_read, rows_loaded, coalesce(rows_updated, 0) AS rows_updated,
                  rows_rejected, rows_duplicate, uploaded_at, mapping, sha256
           FROM uploads ORDER BY uploaded_at DESC, batch_id""",
    )


def rejected_rows(store: Store, batch_id: str | None = None) -> pd.DataFrame:
    """Rows an upload could not load, with the line number and reason, so the user can fix the source.

    A re-imported file's rejected lines are stored once, under the earlier upload: one upload's list includes them.
    """
    if batch_id is None:
        return _df(store, "SELECT * FROM rejected_rows ORDER BY batch_id, row_number")
    return _df(
        store,
        """SELECT * FROM rejected_rows WHERE batch_id = ?
           UNION ALL
           SELECT r.* REPLACE (h.batch_id AS batch_id) FROM rejected_rows r JOIN upload_holds h
             ON h.held_table = 'rejected_rows' AND h.row_key = r.batch_id AND h.line_no = r.row_number
           WHERE h.batch_id = ?
           ORDER BY row_number""",
        [batch_id, batch_id],
    )
