"""Column-level parsers as DuckDB SQL expressions: decide the dialect from the whole column, then parse fast.

Every builder takes a column reference that the engine generated itself (`c0`, `c1`, ...), never a user
string, and returns an SQL expression. Decisions (decimal comma or point, day-first or month-first dates)
are taken once per column from aggregate statistics, so a single ambiguous row cannot flip them.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

__all__ = [
    "NumberDialect",
    "DateDialect",
    "detect_number_dialect",
    "detect_date_dialect",
    "number_expr",
    "timestamp_expr",
]

# Anything that is not a digit, sign, separator or parenthesis: currency symbols, codes, spaces, NBSP.
_NOISE = r"[^0-9,.\-+()eE]"
_STRIP_CURRENCY = r"(?i)\b(EUR|USD|GBP|CHF|CAD|AUD|JPY|SEK|NOK|DKK|PLN)\b"


@dataclass(frozen=True)
class NumberDialect:
    """How numbers in one column are written."""

    plain: bool  # every value already casts to DOUBLE as-is (the fast path)
    decimal_comma: bool  # '1.250,50' / '12,5' rather than '1,250.50'


@dataclass(frozen=True)
class DateDialect:
    """How timestamps in one column are written."""

    family: str  # 'iso' | 'iso_offset' | 'slash' | 'dot' | 'epoch'
    day_first: bool = False


def _cleaned(col: str) -> str:
    """Strip currency names and symbols and whitespace, keeping digits, separators and sign."""
    return (
        f"regexp_replace(regexp_replace(trim({col}), '{_STRIP_CURRENCY}', '', 'g'), '{_NOISE}', '', 'g')"
    )


def detect_number_dialect(con: duckdb.DuckDBPyConnection, table: str, col: str, european: bool) -> NumberDialect:
    """Look at the whole column once: plain, decimal point with thousands commas, or decimal comma."""
    c = _cleaned(col)
    row = con.execute(
        f"""
        SELECT
          count(*) FILTER (WHERE {col} IS NOT NULL AND trim({col}) <> ''),
          count(*) FILTER (WHERE try_cast(trim({col}) AS DOUBLE) IS NOT NULL),
          count(*) FILTER (WHERE regexp_matches({c}, ',[0-9]{{1,2}}$|,[0-9]{{4,}}$|\\.[0-9]{{3}},|^[0-9]+,[0-9]+$')
                             AND NOT regexp_matches({c}, '^[0-9]{{1,3}}(,[0-9]{{3}})+$')),
          count(*) FILTER (WHERE regexp_matches({c}, '\\.[0-9]{{1,2}}$|\\.[0-9]{{4,}}$|,[0-9]{{3}}\\.')
                             AND NOT regexp_matches({c}, '^[0-9]{{1,3}}(\\.[0-9]{{3}})+$'))
        FROM {table}
        """
    ).fetchall()[0]
    nonempty, castable, comma_votes, point_votes = row
    if nonempty == castable and comma_votes == 0:
        return NumberDialect(plain=True, decimal_comma=False)
    if comma_votes > point_votes:
        return NumberDialect(plain=False, decimal_comma=True)
    if point_votes > 0:
        return NumberDialect(plain=False, decimal_comma=False)
    return NumberDialect(plain=False, decimal_comma=european)


def number_expr(col: str, dialect: NumberDialect) -> str:
    """DOUBLE expression for a text column; NULL for empty cells and for text that is not a number."""
    if dialect.plain:
        return f"try_cast(trim({col}) AS DOUBLE)"
    c = _cleaned(col)
    if dialect.decimal_comma:
        body = f"replace(replace({c}, '.', ''), ',', '.')"
    else:
        body = f"replace({c}, ',', '')"
    # Accounting negatives: '(12.00)' means -12.00.
    return (
        f"CASE WHEN regexp_matches({c}, '^\\(.*\\)$') "
        f"THEN -try_cast(replace(replace({body}, '(', ''), ')', '') AS DOUBLE) "
        f"ELSE try_cast({body} AS DOUBLE) END"
    )


_ISO = r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(UTC|GMT|Z))?$"
_ISO_OFFSET = r"^\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)? ?[+-]\d{2}:?\d{2}$"
_SLASH = r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?( ?[AaPp][Mm])?)?$"
_DOT = r"^(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?)?$"


def detect_date_dialect(con: duckdb.DuckDBPyConnection, table: str, col: str, european: bool) -> DateDialect:
    """Pick the timestamp family the column mostly uses and, for d/m ambiguity, the order from all rows."""
    t = f"trim({col})"
    row = con.execute(
        f"""
        SELECT
          count(*) FILTER (WHERE regexp_matches({t}, '{_ISO}')),
          count(*) FILTER (WHERE regexp_matches({t}, '{_ISO_OFFSET}')),
          count(*) FILTER (WHERE regexp_matches({t}, '{_SLASH}')),
          count(*) FILTER (WHERE regexp_matches({t}, '{_DOT}')),
          max(try_cast(regexp_extract({t}, '{_SLASH}', 1) AS INTEGER)),
          max(try_cast(regexp_extract({t}, '{_SLASH}', 2) AS INTEGER))
        FROM {table}
        """
    ).fetchall()[0]
    iso, iso_offset, slash, dot, max_first, max_second = row
    best = max(("iso", iso), ("iso_offset", iso_offset), ("slash", slash), ("dot", dot), key=lambda kv: kv[1])
    if best[1] == 0:
        return DateDialect(family="iso")
    if best[0] == "iso" and iso_offset:
        return DateDialect(family="iso_offset")
    if best[0] == "slash":
        if (max_first or 0) > 12:
            return DateDialect(family="slash", day_first=True)
        if (max_second or 0) > 12:
            return DateDialect(family="slash", day_first=False)
        return DateDialect(family="slash", day_first=european)
    return DateDialect(family=best[0], day_first=best[0] == "dot")


def _slash_formats(sep: str, day_first: bool) -> str:
    """strptime format list (as SQL) for d/m/y-style dates; two-digit years are tried first."""
    first, second = ("%d", "%m") if day_first else ("%m", "%d")
    head = f"{first}{sep}{second}{sep}"
    fmts = []
    for year in ("%y", "%Y"):
        for tail in ("", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"):
            fmts.append(head + year + tail)
    return "[" + ", ".join(f"'{f}'" for f in fmts) + "]"


def timestamp_expr(col: str, dialect: DateDialect) -> str:
    """TIMESTAMP (UTC) expression: offsets are applied, naive times are taken as UTC."""
    t = f"trim({col})"
    if dialect.family in ("iso", "iso_offset"):
        # '+0100' → '+01:00' so DuckDB's TIMESTAMPTZ cast understands it; ' UTC' is understood as is.
        norm = f"regexp_replace({t}, ' ?([+-][0-9]{{2}}):?([0-9]{{2}})$', '\\1:\\2')"
        return f"try_cast({norm} AS TIMESTAMPTZ)::TIMESTAMP"
    sep = "/" if dialect.family == "slash" else "."
    return f"try_strptime(upper({t}), {_slash_formats(sep, dialect.day_first)})::TIMESTAMP"
