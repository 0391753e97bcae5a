"""Property-based tests of the column parsers (numbers, dates) and of delimiters, on generated inputs."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.ingest import (
    detect_date_dialect,
    detect_number_dialect,
    ingest,
    number_expr,
    timestamp_expr,
)
from engine.store import Store

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _column(values: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE t (c0 VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[v] for v in values])
    return con


def _fmt_number(value: Decimal, style: str) -> str:
    sign = "-" if value < 0 else ""
    whole, frac = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}"
    if style == "plain":
        return f"{sign}{whole}.{frac}"
    if style == "us":
        return f"{sign}{grouped}.{frac}"
    if style == "eu":
        return f"{sign}{grouped.replace(',', '.')},{frac}"
    if style == "euro_sign":
        return f"{sign}€{grouped}.{frac}"
    return f"{sign}{grouped.replace(',', '.')},{frac} €"  # eu_sign


@SETTINGS
@given(
    values=st.lists(st.decimals(min_value=-2_000_000, max_value=2_000_000, places=2, allow_nan=False), min_size=1, max_size=30),
    style=st.sampled_from(["plain", "us", "eu", "euro_sign", "eu_sign"]),
)
def test_numbers_parse_back_in_every_style(values, style):
    texts = [_fmt_number(v, style) for v in values]
    con = _column(texts)
    european = style.startswith("eu")
    dialect = detect_number_dialect(con, "t", "c0", european)
    parsed = [r[0] for r in con.execute(f"SELECT {number_expr('c0', dialect)} FROM t").fetchall()]
    assert parsed == [pytest.approx(float(v), abs=1e-6) for v in values], (texts, dialect)


DATE_FORMATS = {
    "iso": ("%Y-%m-%d %H:%M:%S", False),
    "iso_t": ("%Y-%m-%dT%H:%M:%S", False),
    "us_slash": ("%m/%d/%Y %H:%M", False),
    "eu_slash": ("%d/%m/%Y %H:%M", True),
    "us_short": ("%m/%d/%y", False),
    "de_dot": ("%d.%m.%Y", True),
}


@SETTINGS
@given(
    moments=st.lists(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)), min_size=1, max_size=25),
    name=st.sampled_from(sorted(DATE_FORMATS)),
)
def test_dates_parse_back_and_day_month_order_comes_from_the_column(moments, name):
    fmt, day_first = DATE_FORMATS[name]
    # One unambiguous value anywhere in the column decides the order for all of them.
    moments = moments + [datetime(2024, 12, 25, 13, 30)]
    texts = [m.strftime(fmt) for m in moments]
    con = _column(texts)
    dialect = detect_date_dialect(con, "t", "c0", european=not day_first)
    parsed = [r[0] for r in con.execute(f"SELECT {timestamp_expr('c0', dialect)} FROM t").fetchall()]
    expected = [datetime.strptime(t, fmt) for t in texts]
    assert parsed == expected, (texts[:3], dialect)


@SETTINGS
@given(
    moments=st.lists(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31)), min_size=1, max_size=20),
    offsets=st.lists(st.integers(min_value=-11 * 4, max_value=13 * 4), min_size=1, max_size=20),
    style=st.sampled_from(["shopify", "iso"]),
)
def test_offsets_are_converted_to_utc(moments, offsets, style):
    rows = []
    for i, m in enumerate(moments):
        tz = timezone(timedelta(minutes=15 * offsets[i % len(offsets)]))
        local = m.replace(microsecond=0, tzinfo=tz)
        text = local.strftime("%Y-%m-%d %H:%M:%S %z") if style == "shopify" else local.isoformat()
        rows.append((text, local.astimezone(timezone.utc).replace(tzinfo=None)))
    con = _column([r[0] for r in rows])
    dialect = detect_date_dialect(con, "t", "c0", False)
    parsed = [r[0] for r in con.execute(f"SELECT {timestamp_expr('c0', dialect)} FROM t").fetchall()]
    assert parsed == [r[1] for r in rows]


# Names with delimiters, quotes and line breaks inside (surrounding whitespace is trimmed on import by design).
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")) | st.sampled_from([",", ";", "\t", '"', "\n", " "]),
    min_size=1, max_size=30,
).map(str.strip).filter(bool)


@SETTINGS
@given(
    products=st.lists(names, min_size=1, max_size=15),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    crlf=st.booleans(),
)
def test_any_delimiter_and_quoting_round_trips(tmp_path_factory, products, delimiter, crlf):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(["order id", "order date", "product name", "quantity", "price"])
    for i, name in enumerate(products):
        writer.writerow([f"O{i}", "2024-03-01 10:00:00", name, 1, "2.50"])
    path = tmp_path_factory.mktemp("delim") / "orders.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    store = Store.open(":memory:")
    report = ingest(store, path)
    assert report.rows_read == len(products) == report.rows_loaded, report
    got = [r[0] for r in store.con.execute("SELECT product_name FROM orders ORDER BY order_id[2:]::INT").fetchall()]
    assert got == products
    store.close()
