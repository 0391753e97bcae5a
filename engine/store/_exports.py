"""Every CSV StoreLens writes goes through here, so no cell can run as a spreadsheet formula (OWASP's CSV
injection advice): a text cell starting with = + - @ TAB or CR gets a leading apostrophe; numbers stay numbers."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
# The same rule in DuckDB, for tables exported with COPY (column names come from the engine, never from users).
_SQL_RULE = ("CASE WHEN {c} IS NOT NULL AND regexp_matches({c}, '^[=+\\-@\\t\\r]') "
             "AND NOT regexp_matches({c}, '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$') "
             "THEN '''' || {c} ELSE {c} END")


def safe_cell(value: object) -> object:
    """One cell made inert for spreadsheets; non-text values and plain numbers written as text pass unchanged."""
    if isinstance(value, str) and value.startswith(_TRIGGERS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of `df` whose text cells (and column names) are neutralised."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith(("string", "str")):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


# CRLF rows (RFC 4180): pandas then quotes a cell holding a lone CR too. With "\n" rows it writes "x\r=2" bare, and
# a spreadsheet starts a new row at the CR whose first cell is the live formula "=2".
_ROW_END = "\r\n"


def safe_csv_bytes(df: "pd.DataFrame") -> bytes:
    """The frame as UTF-8 CSV bytes, formula-safe (for downloads)."""
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False, lineterminator=_ROW_END)
    return buf.getvalue().encode("utf-8")


def write_safe_csv(df: "pd.DataFrame", path: str | Path) -> Path:
    """Write the frame to `path` as formula-safe CSV (for command outputs)."""
    path = Path(path)
    safe_frame(df).to_csv(path, index=False, lineterminator=_ROW_END)
    return path


def safe_select_sql(columns: list[tuple[str, str]]) -> str:
    """SELECT list that neutralises VARCHAR columns inside DuckDB: `columns` is (name, duckdb type) pairs."""
    return ", ".join(
        f'{_SQL_RULE.format(c=chr(34) + name + chr(34))} AS "{name}"' if dtype == "VARCHAR" else f'"{name}"'
        for name, dtype in columns
    )
