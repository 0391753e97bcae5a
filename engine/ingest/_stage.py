"""Staging: the file read once into a temp table, typed where a sample proves it, and a view that maps it onto
canonical columns with a reason for every row that cannot load."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import _formats as F
from ._parsing import (
    ambiguous_number,
    detect_date_dialect,
    detect_number_dialect,
    number_expr,
    timestamp_expr,
)
from ._sniff import sample_rows
from ._types import Detection, column_refs


class _Sql:
    """Collects named parameters while SQL text is assembled from engine-made identifiers only."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def p(self, value) -> str:
        """Placeholder for a user-derived value (safe to repeat in the text)."""
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def used(self, text: str) -> dict[str, object]:
        """Only the parameters the statement refers to (DuckDB rejects unused ones)."""
        return {k: v for k, v in self.params.items() if f"${k}" in text}


def _lit(constant: str) -> str:
    """SQL literal for an engine constant (format specs' status words), never for user data."""
    return "'" + constant.replace("'", "''") + "'"


@dataclass
class Stage:
    """The staged view's reject rules: rule i's message SQL (with its parameters) for reason code i."""

    messages: list[str]
    sql: _Sql
    optional: list[tuple[str, str, str]]  # (what, source text, parsed) of optional fields: unreadable → NULL
    ambiguous: list[tuple[str, str, bool]]  # (column label, source text, decimal comma?) of non-plain numbers


_NUMBER_FIELDS = {"quantity", "unit_price", "revenue", "discount", "line_no", "rating"}
_TIME_FIELDS = {"order_ts", "review_ts"}


def sample_types(det: Detection) -> dict[str, str]:
    """Columns whose sample is plain numbers or naive ISO timestamps, read typed by DuckDB's reader itself."""
    spec = format_spec(det)
    skip = {"packed_products": "product_name", "sku_list": "product_id"}.get(spec.explode if spec else None)
    cols = column_refs(det)
    wanted = {}
    for canon, sources in det.mapping.items():
        present = [cols[s] for s in sources if s in cols]
        if len(present) == 1 and canon != skip and canon in _NUMBER_FIELDS | _TIME_FIELDS:
            wanted[present[0]] = "DOUBLE" if canon in _NUMBER_FIELDS else "TIMESTAMP"
    if not wanted:
        return {}
    stats = _sample_stats(det, list(wanted), {c for c, t in wanted.items() if t == "DOUBLE"},
                          {c for c, t in wanted.items() if t == "TIMESTAMP"})
    return {c: typ for c, typ in wanted.items()
            if stats[c][0] == 0 and stats[c][2 if typ == "DOUBLE" else 3] == stats[c][1]}


# Stricter than DuckDB's casts on purpose: a value these accept always casts, so a typed read never fails on them.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_PLAIN_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\Z")


def _is_time(value: str) -> bool:
    """A naive ISO date or timestamp that also exists on the calendar."""
    if not _PLAIN_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _has_quoted_empty(det: Detection) -> bool:
    """Whether a whole cell of the head is `""` (an escaped quote inside a cell, `7"" FRAME`, is not one)."""
    head, d = det.head, det.delimiter
    if not det.quote:
        return False
    # A find loop over the few `""` of a megabyte head: a regex tried at every position took 12 ms per call.
    at = head.find('""')
    while at >= 0:
        after = head[at + 2:at + 4]  # a cell ends at a delimiter, a line end or the end of the head
        if (at == 0 or head[at - 1] in (d, "\n")) and (after[:1] in ("", d, "\n") or after in ("\r", "\r\n")):
            return True
        at = head.find('""', at + 1)
    return False


_Stats = tuple[int, int, int, int]  # (dirty, non-null, plain numbers, plain timestamps)


def _sample_stats(det: Detection, names: list[str], nums: set[str], times: set[str]) -> dict[str, _Stats]:
    """Per column of the head sample: the counts `_profile` reads (`_raw_stats` counts them over every row).

    An empty cell is NULL to DuckDB's reader unless it was quoted (`""`), which would keep an empty string; when
    the head holds a quoted-empty cell anywhere, empty cells count as dirty so the trimming path stays on.
    """
    columns = sample_rows(det)
    quoted_empty = _has_quoted_empty(det)
    out = {}
    for c in names:
        values = columns[int(c[1:])]
        counts = Counter(v for v in values if v)  # each distinct value is judged once (timestamps repeat a lot)
        n_present = sum(counts.values())
        dirty = sum(n for v, n in counts.items() if v[0] == " " or v[-1] == " ")
        if quoted_empty:
            dirty += len(values) - n_present
        num = sum(n for v, n in counts.items() if _PLAIN_NUMBER.match(v)) if c in nums else 0
        ts = sum(n for v, n in counts.items() if _is_time(v)) if c in times else 0
        out[c] = (dirty, n_present, num, ts)
    return out


def read_raw(con, source: Path, det: Detection, types: dict[str, str] | None = None,
              table: str = "_raw") -> list[tuple[int, str, str, str]]:
    """Cells into temp table `table` (text, or typed where `types` says); malformed lines come back as rejects."""
    types = types or {}
    cols = ", ".join(f"'c{i}': '{types.get(f'c{i}', 'VARCHAR')}'" for i in range(len(det.headers)))
    con.execute(f"DROP TABLE IF EXISTS {table}; DROP TABLE IF EXISTS _rej_err; DROP TABLE IF EXISTS _rej_scan")
    # max_line_size sets the reader's buffers: 16 MiB read the 124 MB real log in 0.35 s against 0.52 s at the
    # default, while 32 MiB or more read it on one thread (0.66 s).
    con.execute(
        f"""CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, auto_detect = false, delim = ?, quote = ?,
            escape = ?, header = false, skip = 1, columns = {{{cols}}}, ignore_errors = true, store_rejects = true,
            rejects_table = '_rej_err', rejects_scan = '_rej_scan', max_line_size = 16777216)""",
        [str(source), det.delimiter, det.quote, det.quote],
    )
    # Rowids follow the records from 0; a table written inside a transaction (the text re-read of rejected rows)
    # starts them at a large offset, hence its minimum.
    rid = "rowid" if table == "_raw" else f"rowid - (SELECT min(rowid) FROM {table})"
    con.execute(f"CREATE OR REPLACE TEMP VIEW {table}n AS SELECT {rid} AS _rid, * FROM {table}")
    rows = con.execute(
        """SELECT line, any_value(csv_line), any_value(error_type), any_value(error_message)
           FROM _rej_err GROUP BY line ORDER BY line"""
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS _rej_err; DROP TABLE IF EXISTS _rej_scan")
    return [(int(line), (raw or "").strip("\r\n"), etype, msg) for line, raw, etype, msg in rows]


def structural_reason(etype: str, message: str, n_cols: int) -> str:
    """Readable reason for a line DuckDB's reader could not split."""
    if etype in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        found = message.rsplit(":", 1)[-1].strip()
        return f"row has {found} fields but the header has {n_cols}"
    if etype == "UNQUOTED VALUE":
        return "a quote inside an unquoted field; re-export with standard CSV quoting"
    if etype == "INVALID UNICODE":
        return "text is not valid UTF-8 or Windows-1252"
    if etype == "LINE SIZE OVER MAXIMUM":
        return "line longer than 16 MB"
    if etype in _OWN_REASONS:
        return _OWN_REASONS[etype]
    return f"unreadable CSV line ({etype.lower()})"


# Lines the tolerant reader sets aside (see _fallback): reason per error type.
_OWN_REASONS = {
    "BLANK LINE": "blank line",
    "REPEATED HEADER": "repeated header row",
    "NUL BYTE": "line contains a NUL byte (binary data)",
    "UNBALANCED QUOTE": "malformed quoting: a quote opened in this line is never closed",
    "FIELD TOO LONG": "a cell longer than 128 KiB (not shop data)",
}


def format_spec(det: Detection) -> F.FormatSpec | None:
    """The format spec behind a detection, None for generic files (a wide file being unpivoted explodes)."""
    if det.unpivot and det.wide:
        return F.FormatSpec("generic", "orders", frozenset(), det.mapping, explode="wide")
    return next((s for s in F.FORMATS if s.name == det.format), None)


def build_stage(con, det: Detection) -> Stage:
    """View _stage: typed canonical rows with the source row `_rid` and a reject rule code `_reason`.

    A view, not a table: the final INSERT evaluates it once, so the typed rows are never materialised twice.
    Its SQL holds only engine-made names and constants; user text reaches SQL only as parameters, in the
    reject messages built by `_commit`.
    """
    spec = format_spec(det)
    cols = column_refs(det)
    src = _source_relation(det, spec, cols)
    if spec and spec.explode == "wide":
        con.execute("CREATE OR REPLACE TEMP TABLE _wide_names (idx INTEGER, name VARCHAR)")
        con.executemany("INSERT INTO _wide_names VALUES (?, ?)",
                        [[i + 1, det.headers[int(cols[w][1:])]] for i, w in enumerate(det.wide)])
    con.execute(f"CREATE OR REPLACE TEMP VIEW _src AS {src}")
    sql = _Sql()
    optional: list[tuple[str, str, str]] = []
    ambiguous: list[tuple[str, str, bool]] = []
    exprs, reasons = _canonical(con, det, spec, cols, sql, optional, ambiguous)
    codes = "CASE " + " ".join(f"WHEN {c} THEN {i}" for i, (c, _) in enumerate(reasons)) + " END" if reasons else "NULL"
    source = "_src"
    scattered = _scattered_orders(con, exprs["order_id"]) if positional_lines(det) else None
    if scattered is not None:
        # Most orders' lines sit together (as exports write them): numbering by offset from the order's first
        # row equals row_number() but avoids a sorting window over the whole file; the few orders whose lines
        # are scattered (one in the real retail log) carry their rows' sorted ids, and a row's line is its place.
        offset = "_rid - _g.first_rid + 1"
        source = f"_src LEFT JOIN _groups _g ON _g.order_key = {exprs['order_id']}"
        exprs["line_no"] = f"({offset})::INTEGER"
        if scattered:
            place = "list_position(_sp.rids, _rid)"
            exprs["line_no"] = f"(CASE WHEN _sp.rids IS NULL THEN {offset} ELSE {place} END)::INTEGER"
            source += f" LEFT JOIN _split _sp ON _sp.order_key = {exprs['order_id']}"
    select = ", ".join(f"{e} AS {k}" for k, e in exprs.items())
    con.execute(f"CREATE OR REPLACE TEMP VIEW _stage AS SELECT _rid, {select}, {codes} AS _reason FROM {source}")
    return Stage([m for _, m in reasons], sql, optional, ambiguous)


def optional_warnings(con, stage: Stage) -> list[str]:
    """One sentence per optional column with values that could not be read (they were loaded as NULL), and one
    per number column whose ambiguous values ('1,234') were read by the column's convention."""
    checks = [(f"{src} IS NOT NULL AND ({parsed}) IS NULL", src) for _, src, parsed in stage.optional]
    checks += [(ambiguous_number(src), src) for _, src, _ in stage.ambiguous]
    if not checks:
        return []
    aggs = ", ".join(f"count(*) FILTER (WHERE {cond}), min({src}) FILTER (WHERE {cond})" for cond, src in checks)
    row = con.execute(f"SELECT {aggs} FROM _src").fetchall()[0]
    out = []
    for i, (what, _, _) in enumerate(stage.optional):
        n, example = row[2 * i], row[2 * i + 1]
        if n:
            noun, kept = what.split("|")
            out.append(f"{n:,} {noun} could not be read, e.g. {str(example)[:40]!r}; {kept}.")
    for i, (label, _, comma) in enumerate(stage.ambiguous, start=len(stage.optional)):
        n, example = row[2 * i], row[2 * i + 1]
        if n:
            mark = "comma" if comma else "point"
            values = "value" if n == 1 else "values"
            out.append(f"{n:,} {values} in column {label} such as {str(example)[:40]!r} could be a thousands group "
                       f"or three decimal places; they were read as thousands, as the column's other values write "
                       f"decimals with a {mark} (read as decimals they would be 1000 times smaller): check that "
                       "column.")
    return out


def _order_ids_absent(con, order_id: str | None) -> bool:
    """The mapped order id column has no value in any row (or there is none)."""
    if order_id is None:
        return True
    return con.execute(f"SELECT count({order_id}) = 0 FROM _src").fetchall()[0][0]


def positional_lines(det: Detection) -> bool:
    """Orders whose line numbers come from row positions (no line column, not exploded from packed cells)."""
    spec = format_spec(det)
    return det.kind == "orders" and "line_no" not in det.mapping and not (spec and spec.explode)


_FEW_SPLIT = 64  # up to this many split orders, their lines are found by row ranges rather than by a join


def _scattered_orders(con, order_id: str) -> int | None:
    """Group rows by order (temp table _groups); the orders whose rows are not adjacent also get their rows' sorted
    ids (temp table _split). Rows in scattered orders, or None when they are so many that one window over the file
    is cheaper."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _groups AS SELECT {order_id} AS order_key, min(_rid) AS first_rid,
            max(_rid) AS last_rid, count(*) AS n FROM _src GROUP BY ALL"""
    )
    scattered, total = con.execute(
        "SELECT coalesce(sum(n) FILTER (WHERE last_rid - first_rid + 1 <> n), 0), coalesce(sum(n), 0) FROM _groups"
    ).fetchall()[0]
    if scattered == 0:
        return 0
    if scattered > 0.2 * total:
        return None
    split = con.execute(
        f"SELECT order_key, first_rid, last_rid FROM _groups WHERE last_rid - first_rid + 1 <> n LIMIT {_FEW_SPLIT + 1}"
    ).fetchall()
    if len(split) <= _FEW_SPLIT:  # the reader skips to each split order's span of rows instead of reading them all
        spans = " OR ".join(["_rid BETWEEN ? AND ?"] * len(split))
        lines = f"""SELECT order_key, list(_rid ORDER BY _rid) AS rids
                    FROM (SELECT _rid, {order_id} AS order_key FROM _src WHERE {spans})
                    WHERE list_contains(?, order_key) GROUP BY order_key"""
        params = [*(r for _, first, last in split for r in (first, last)), [k for k, _, _ in split]]
    else:
        lines = f"""SELECT g.order_key, list(s._rid ORDER BY s._rid) AS rids
                    FROM _src s JOIN _groups g ON g.order_key = {order_id}
                    WHERE g.last_rid - g.first_rid + 1 <> g.n GROUP BY g.order_key"""
        params = []
    # A table of its own: adding the ids to _groups by an UPDATE took 0.02 s on the real log, this 0.004 s.
    con.execute(f"CREATE OR REPLACE TEMP TABLE _split AS {lines}", params)
    return int(scattered)


def _src_col(sources: tuple[str, ...] | None, cols: dict[str, str], clean: frozenset[str] = frozenset()) -> str | None:
    """Coalesced text of the mapped source columns (trimmed unless the profile says it is clean), or None."""
    names = [cols[s] for s in sources or () if s in cols]
    if not names:
        return None
    parts = [c if c in clean else f"nullif(trim({c}), '')" for c in names]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


@dataclass(frozen=True)
class _Profile:
    """One aggregate pass over the raw columns: which ones can take the fast parsing paths."""

    clean: frozenset[str]  # no empty strings, no surrounding spaces: no trim needed
    plain_numbers: frozenset[str]  # every value casts to DOUBLE as-is
    plain_times: frozenset[str]  # every value is a naive ISO timestamp


def _profile(con, det: Detection, cols: dict[str, str], number_fields: set[str], time_fields: set[str]) -> _Profile:
    """Profile the mapped columns in a single scan so fast paths replace per-column regex statistics."""
    mapped = {f: [cols[s] for s in src if s in cols] for f, src in det.mapping.items()}
    names = sorted({c for cs in mapped.values() for c in cs}, key=lambda c: int(c[1:]))
    nums = {c for f in number_fields for c in mapped.get(f, [])}
    times = {c for f in time_fields for c in mapped.get(f, [])}
    typed = det.typed
    names = [c for c in names if c not in typed]
    # With the typed fast path the reader has validated numbers and dates over every row; whether text
    # needs trimming is then judged on the head sample, saving a full scan of the text columns.
    stats = _sample_stats(det, names, nums, times) if typed else _raw_stats(con, names, nums, times)
    clean, plain_n, plain_t = set(), set(), set()
    for c in names:
        dirty, nonnull, dbl, ts = stats[c]
        if dirty == 0:
            clean.add(c)
        if c in nums and dbl == nonnull and dirty == 0:
            plain_n.add(c)
        if c in times and ts == nonnull and dirty == 0:
            plain_t.add(c)
    return _Profile(frozenset(clean | typed), frozenset(plain_n | (typed & nums)), frozenset(plain_t | (typed & times)))


def _raw_stats(con, names: list[str], nums: set[str], times: set[str]) -> dict[str, _Stats]:
    """`_sample_stats`'s counts over every row of _raw, in one aggregate scan."""
    aggs = []
    for c in names:
        aggs.append(f"count({c}) FILTER (WHERE {c} = '' OR starts_with({c}, ' ') OR ends_with({c}, ' '))")
        aggs.append(f"count({c})")
        aggs.append(f"count(try_cast({c} AS DOUBLE))" if c in nums else "0")
        # 'YYYY-MM-DD HH:MM:SS' is 19 characters; anything longer may carry an offset and takes the TZ path.
        aggs.append(f"count(try_cast({c} AS TIMESTAMP)) FILTER (WHERE length({c}) <= 19)" if c in times else "0")
    if not aggs:
        return {}
    row = con.execute(f"SELECT {', '.join(aggs)} FROM _raw").fetchall()[0]
    return {c: tuple(row[4 * i: 4 * i + 4]) for i, c in enumerate(names)}


def _source_relation(det: Detection, spec: F.FormatSpec | None, cols: dict[str, str]) -> str:
    """SELECT over _raw that fills Shopify-style blank order cells and explodes packed line lists."""
    names = [f"c{i}" for i in range(len(det.headers))]
    if spec and spec.fill_forward_by and spec.fill_forward_by in cols:
        key = cols[spec.fill_forward_by]
        ff = {cols[h] for h in spec.fill_forward if h in cols}
        select = [
            f"coalesce(nullif(trim({c}), ''), last_value(nullif(trim({c}), '') IGNORE NULLS) OVER "
            f"(PARTITION BY {key} ORDER BY _rid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS {c}"
            if c in ff else c
            for c in names
        ]
        base = f"SELECT _rid, {', '.join(select)} FROM _rawn"
    else:
        base = f"SELECT _rid, {', '.join(names)} FROM _rawn"
    if spec and spec.explode == "packed_products":
        packed = _src_col(spec.mapping.get("product_name"), cols) or "NULL"
        # '2× Linen Shirt, 1× Canvas Tote' → one row per '<qty>× <name>' part (names may contain commas).
        parts = (
            f"string_split(regexp_replace(coalesce({packed}, ''), ',\\s*([0-9]+)\\s*[×x]\\s*', "
            f"chr(31) || '\\1×', 'g'), chr(31))"
        )
        return (
            f"SELECT b.*, u.part AS _part, u.idx AS _idx, len({parts}) AS _nparts FROM ({base}) b, "
            f"LATERAL (SELECT unnest({parts}) AS part, generate_subscripts({parts}, 1) AS idx) u"
        )
    if spec and spec.explode == "wide":
        # One column per product holding quantities → one line per product with a quantity (a row with none
        # keeps one line without a product, which its reject rule names).
        qtys = "[" + ", ".join(f"try_cast(trim({cols[w]}) AS DOUBLE)" for w in det.wide) + "]"
        return (
            f"SELECT b.*, w.name AS _part, w.idx AS _idx, {qtys}[w.idx] AS _wq FROM ({base}) b "
            f"LEFT JOIN _wide_names w ON coalesce({qtys}[w.idx], 0) <> 0"
        )
    if spec and spec.explode == "sku_list":
        skus = _src_col(spec.mapping.get("product_id"), cols) or "NULL"
        parts = f"string_split(trim(coalesce({skus}, ''), '\" '), ',')"
        return (
            f"SELECT b.*, trim(u.part, '\" ') AS _part, u.idx AS _idx, len({parts}) AS _nparts FROM ({base}) b, "
            f"LATERAL (SELECT unnest({parts}) AS part, generate_subscripts({parts}, 1) AS idx) u"
        )
    return base


def _canonical(con, det: Detection, spec: F.FormatSpec | None, cols: dict[str, str], sql: _Sql,
               optional: list[tuple[str, str, str]], ambiguous: list[tuple[str, str, bool]]):
    """Canonical column expressions and (condition, message) reject rules for the detected kind; optional fields
    that cannot be read go into `optional` (they load as NULL and are counted)."""
    explode_field = {"packed_products": "product_name", "sku_list": "product_id"}.get(spec.explode if spec else None)
    prof = _profile(con, det, cols, _NUMBER_FIELDS - {explode_field}, _TIME_FIELDS)
    label = {k: " / ".join(det.source_headers(k)) for k in det.mapping}
    m = {k: _src_col(v, cols, prof.clean) for k, v in det.mapping.items()}
    for k, v in det.mapping.items():
        if m.get(k) and set(v) & det.sci_ids:  # '1.01E+11': the spreadsheet dropped the id's digits
            m[k] = f"CASE WHEN regexp_matches({m[k]}, '^[+-]?[0-9](\\.[0-9]+)?[eE]\\+?[0-9]+$') THEN NULL ELSE {m[k]} END"
    if det.kind == "orders" and det.synthetic_order_id and _order_ids_absent(con, m.get("order_id")):
        # No order ids at all: each line is its own order, keyed by its content so a re-import deduplicates.
        every = ", ".join(f"coalesce(c{i}::VARCHAR, '')" for i in range(len(det.headers)))
        m["order_id"] = f"'line-' || substr(md5(concat_ws(chr(31), {every})), 1, 16)"
        label["order_id"] = "(one order per line)"
        if det.mapping.get("order_id"):  # the sample's hedge becomes a fact
            column = det.source_headers("order_id")[0]
            det.notes[:] = [f"column {column!r} (order id) is empty in every row: each line is loaded as its own "
                            "order; map another column with --map order_id=COLUMN to group lines into orders."
                            if "(order id) is empty" in n else n for n in det.notes]
    elif det.kind == "orders" and det.synthetic_order_id:
        det.notes[:] = [n for n in det.notes if "each line is loaded as its own order" not in n]
    sources = {k: [cols[s] for s in v if s in cols] for k, v in det.mapping.items()}

    def num(field: str) -> str | None:
        col = m.get(field)
        if col is None:
            return None
        if len(sources[field]) == 1 and sources[field][0] in det.typed:
            return col
        if all(c in prof.plain_numbers for c in sources[field]):
            return f"try_cast({col} AS DOUBLE)"
        dialect = detect_number_dialect(con, "_src", col, det.european)
        if not dialect.plain and field != "rating":
            ambiguous.append((label[field], col, dialect.decimal_comma))
        return number_expr(col, dialect)

    def ts(field: str) -> str | None:
        col = m.get(field)
        if col is None:
            return None
        if len(sources[field]) == 1 and sources[field][0] in det.typed:
            parsed = col
        elif all(c in prof.plain_times for c in sources[field]):
            parsed = f"try_cast({col} AS TIMESTAMP)"
        else:
            dialect = detect_date_dialect(con, "_src", col, det.european)
            parsed = timestamp_expr(col, dialect)
            if dialect.anchor:
                det.notes.append(f"relative dates in {label[field]} ('3 days ago') are counted back from " + (
                    f"the import time ({dialect.anchor} UTC): the column has no absolute date to anchor them."
                    if dialect.anchor_is_now else f"the column's latest absolute date ({dialect.anchor})."))
        clock = cols.get(det.clock.get(field, ""))
        if clock:  # a separate time-of-day column
            parsed = (f"CASE WHEN try_cast(trim({clock}) AS TIME) IS NULL THEN {parsed} "
                      f"ELSE ({parsed})::DATE + try_cast(trim({clock}) AS TIME) END")
        return parsed

    def bad(field: str, parsed: str, what: str) -> tuple[str, str]:
        col = m[field]
        head, tail = sql.p(f'{what} "'), sql.p(f'" in column {label[field]}')
        return f"{col} IS NOT NULL AND ({parsed}) IS NULL", f"{head} || {col} || {tail}"

    reasons: list[tuple[str, str]] = []
    text = lambda f: m.get(f) or "NULL"
    if det.kind == "orders":
        return _orders(det, spec, m, num, ts, bad, text, reasons, label, sql)
    if det.kind == "reviews":
        return _reviews(con, m, num, ts, bad, text, reasons, label, sql, optional)
    exprs = {k: text(k) for k in F.CANONICAL["products"]}
    if m.get("category"):
        # Shopify's 'Product Category' is a taxonomy path; its last segment is the category.
        exprs["category"] = f"trim(regexp_extract({m['category']}, '([^>]+)$', 1))"
    reasons.append((f"({exprs['product_id']}) IS NULL", f"'missing product id (column ' || {sql.p(label.get('product_id', 'product id'))} || ')'"))
    return exprs, reasons


def _orders(det, spec, m, num, ts, bad, text, reasons, label, sql):
    """Canonical order line expressions."""
    qty = num("quantity")
    price = num("unit_price")
    revenue_src = num("revenue")
    discount = num("discount") or "0"
    order_ts = ts("order_ts") or "NULL::TIMESTAMP"  # a basket log without dates loads them empty
    status_raw = f"lower({m['status']})" if m.get("status") else "NULL"
    if spec and spec.status_map:
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in spec.status_map.items())
        status = f"CASE coalesce({status_raw}, '') {cases} ELSE {status_raw} END"
    else:
        status = status_raw
    order_id = text("order_id")
    if spec and spec.cancelled_if_set and spec.cancelled_if_set in column_refs(det):
        status = f"CASE WHEN nullif(trim({column_refs(det)[spec.cancelled_if_set]}), '') IS NOT NULL THEN 'cancelled' ELSE {status} END"
    if spec and spec.cancel_prefix:
        status = (
            f"CASE WHEN starts_with({order_id}, {_lit(spec.cancel_prefix)}) THEN 'cancelled' "
            f"WHEN {qty} < 0 THEN 'returned' ELSE 'completed' END"
        )
    if spec and spec.cancel_prefix:
        cancelled = f"coalesce(starts_with({order_id}, {_lit(spec.cancel_prefix)}), false)"
    else:
        cancelled = f"coalesce(({status}) = 'cancelled', false)"
    exprs: dict[str, str] = {"order_id": order_id}
    explode = spec.explode if spec else None
    if explode == "packed_products":
        part_qty = "try_cast(regexp_extract(_part, '^\\s*([0-9]+)\\s*[×x]', 1) AS DOUBLE)"
        part_name = "nullif(trim(regexp_replace(_part, '^\\s*[0-9]+\\s*[×x]\\s*', '')), '')"
        total_qty = "sum(coalesce(" + part_qty + ", 1)) OVER (PARTITION BY _rid)"
        exprs["line_no"] = "_idx::INTEGER"
        exprs["product_id"] = part_name
        exprs["product_name"] = part_name
        qty_e = f"coalesce({part_qty}, 1)"
        revenue = f"({revenue_src}) * {qty_e} / {total_qty}"
        price_e = f"{revenue} / nullif({qty_e}, 0)"
    elif explode == "wide":
        exprs["line_no"] = "row_number() OVER (PARTITION BY _rid ORDER BY _idx)::INTEGER"
        exprs["product_id"] = "_part"
        exprs["product_name"] = "_part"
        qty_e = "_wq"
        total = revenue_src or "NULL"
        revenue = f"({total}) * _wq / nullif(sum(_wq) OVER (PARTITION BY _rid), 0)"
        price_e = f"{revenue} / nullif(_wq, 0)"
        reasons.append(("_part IS NULL", "'no quantity in any product column'"))
    elif explode == "sku_list":
        exprs["line_no"] = "_idx::INTEGER"
        exprs["product_id"] = "coalesce(nullif(_part, ''), 'unknown')"
        exprs["product_name"] = exprs["product_id"]
        qty_e = f"CASE WHEN _nparts = 1 THEN coalesce({qty}, 1) ELSE 1 END"
        revenue = f"(coalesce({revenue_src}, 0) - coalesce({discount}, 0)) * {qty_e} / CASE WHEN _nparts = 1 THEN coalesce({qty}, 1) ELSE _nparts END"
        price_e = f"{revenue} / nullif({qty_e}, 0)"
    else:
        line = num("line_no")
        exprs["line_no"] = (
            f"coalesce(({line})::INTEGER, row_number() OVER (PARTITION BY {order_id} ORDER BY _rid)::INTEGER)"
            if line else f"row_number() OVER (PARTITION BY {order_id} ORDER BY _rid)::INTEGER"
        )
        exprs["product_id"] = f"coalesce({text('product_id')}, {text('product_name')})"
        exprs["product_name"] = f"coalesce({text('product_name')}, {text('product_id')})"
        qty_e = f"coalesce({qty}, 1)" if qty else "1.0"
        if spec and spec.price_is_total and price:
            total = price
            price_e = f"CASE WHEN {cancelled} AND {total} IS NULL THEN 0 ELSE {total} / nullif({qty_e}, 0) END"
            revenue = f"CASE WHEN {cancelled} AND {total} IS NULL THEN 0 ELSE {total} - coalesce({discount}, 0) END"
        elif price:
            price_e = f"CASE WHEN {cancelled} AND {price} IS NULL THEN 0 ELSE {price} END"
            revenue = (
                f"coalesce({revenue_src}, {qty_e} * ({price_e}) - coalesce({discount}, 0))" if revenue_src
                else f"{qty_e} * ({price_e}) - coalesce({discount}, 0)"
            )
        elif revenue_src:
            revenue = f"({revenue_src}) - coalesce({discount}, 0)" if det.mapping.get("discount") else revenue_src
            price_e = f"({revenue_src}) / nullif({qty_e}, 0)"
        else:  # a basket or point-of-sale log without prices: lines load with empty prices and revenue
            revenue = price_e = "NULL"
    customer = text("customer_id")
    if spec and spec.name == "retail_transactions":
        # Spreadsheets turn numeric customer ids into floats ('17850.0').
        customer = f"CASE WHEN ends_with({customer}, '.0') THEN {customer}[:-3] ELSE {customer} END"
    exprs.update({
        "order_ts": order_ts,
        "customer_id": customer,
        "category": text("category"),
        "quantity": f"({qty_e})::DOUBLE",
        "unit_price": f"({price_e})::DOUBLE",
        "revenue": f"({revenue})::DOUBLE",
        "currency": f"upper({text('currency')})" if m.get("currency") else "NULL",
        "country": text("country"),
        "status": status,
        "line_id": text("line_id"),
    })
    if det.ledger:  # payments, refunds, fees and transfers beside the sales: only sales are orders
        kind_col = column_refs(det)[det.ledger]
        reasons.append((f"coalesce(regexp_matches(lower({kind_col}), '{F.NOT_SALE}'), false) "
                        f"OR coalesce(({revenue}) <= 0, false)",
                        f"'not a sale (' || coalesce({kind_col}, '') || ')'"))
    reasons.append((f"{order_id} IS NULL", f"'missing order id (column ' || {sql.p(label['order_id'])} || ')'"))
    if m.get("order_ts"):
        reasons.append((f"{m['order_ts']} IS NULL",
                        f"'missing order date (column ' || {sql.p(label['order_ts'])} || ')'"))
        reasons.append(bad("order_ts", order_ts, "unreadable date"))
    if qty and not explode:
        reasons.append(bad("quantity", qty, "quantity is not a number:"))
        reasons.append(_beyond("quantity", qty, m, label, sql))
    for f, parsed in (("unit_price", price), ("revenue", revenue_src), ("discount", num("discount"))):
        if parsed and m.get(f):
            reasons.append(bad(f, parsed, f"{f.replace('_', ' ')} is not a number:"))
            reasons.append(_beyond(f, parsed, m, label, sql))
    limit = _LIMITS["revenue"]
    reasons.append((f"NOT (abs({revenue}) <= {limit:.0e})",
                    f"'the line comes to ' || ({revenue})::VARCHAR || {sql.p(f', beyond ±{limit:,.0f}')}"))
    reasons.append((
        f"NOT {cancelled} AND ({price_e}) IS NULL AND ({revenue}) IS NULL AND {bool(price or revenue_src)}",
        f"'missing price (column ' || {sql.p(label.get('unit_price') or label.get('revenue', ''))} || ')'",
    ))
    return exprs, reasons


# The largest magnitude each number may have: beyond it a value is a misread column or a broken export, and it would
# overflow the DECIMAL(18, 4) sums of the analytics. NaN and infinity are never in range.
_LIMITS = {"quantity": 1e9, "unit_price": 1e12, "revenue": 1e12, "discount": 1e12}


def _beyond(field: str, parsed: str, m: dict, label: dict, sql: _Sql) -> tuple[str, str]:
    """Reject rule: the value read is NaN, infinite or beyond the field's limit (NaN compares above every number
    in DuckDB, so `NOT (abs(x) <= limit)` holds for all three, and is NULL, never true, for an empty cell)."""
    what = field.replace("_", " ")
    limit = _LIMITS[field]
    head = sql.p(f'{what} "')
    finite, beyond = sql.p(f'" in column {label[field]} is not a finite number'), sql.p(
        f'" in column {label[field]} is beyond ±{limit:,.0f}')
    return (f"NOT (abs({parsed}) <= {limit:.0e})",
            f"{head} || {m[field]} || CASE WHEN isfinite({parsed}) THEN {beyond} ELSE {finite} END")


def _reviews(con, m, num, ts, bad, text, reasons, label, sql, optional):
    """Canonical review expressions, with ratings rescaled to 1..5 and HTML entities decoded."""
    _register_unescape(con)
    rating_raw = num("rating")
    scale = 5.0
    if rating_raw:
        top = con.execute(f"SELECT max({rating_raw}) FROM _src").fetchall()[0][0] or 5
        scale = 5.0 if top <= 5 else 10.0 if top <= 10 else 100.0
    # A rating outside any known scale is unreadable: the review keeps its text without a rating.
    rating = (f"CASE WHEN ({rating_raw}) > 0 AND ({rating_raw}) <= 100 THEN round(({rating_raw}) * 5.0 / {scale}, 2) END"
              if rating_raw else "NULL")
    review_ts = ts("review_ts")
    title = f"sl_html_unescape({text('title')})" if m.get("title") else "NULL"
    body = f"sl_html_unescape({text('text')})" if m.get("text") else "NULL"
    hashed = ", ".join(f"coalesce({text(k)}, '')" for k in ("product_id", "author", "review_ts", "rating", "title", "text", "customer_id"))
    exprs = {
        "review_id": f"coalesce({text('review_id')}, {_content_id(hashed, text('review_id'))})",
        "review_ts": review_ts or "NULL::TIMESTAMP",
        "product_id": text("product_id"),
        "product_name": text("product_name"),
        "category": text("category"),
        "customer_id": text("customer_id"),
        "author": text("author"),
        "rating": f"({rating})::DOUBLE",
        "title": title,
        "text": body,
    }
    if review_ts:
        optional.append(("review dates|kept without a date", m["review_ts"], review_ts))
    if rating_raw:
        # A rating that is there must read: it is what a review is scored and trained on.
        reasons.append(bad("rating", rating_raw, "rating is not a number:"))
        reasons.append((f"({rating_raw}) <= 0 OR ({rating_raw}) > 100",
                        f"'rating ' || {m['rating']} || ' is outside any known scale'"))
    reasons.append((f"{text('text')} IS NULL AND {text('title')} IS NULL AND ({rating}) IS NULL", "'review has neither text nor rating'"))
    return exprs, reasons


def _content_id(hashed: str, review_id: str) -> str:
    """A review's id from its content; the second and later reviews with the same content in one file (different
    shoppers writing 'Love it!' on the same day) add their occurrence number, so they stay reviews of their own and
    a re-import of the file still finds each of them again."""
    digest = f"md5(concat_ws(chr(31), {hashed}))"
    occurrence = f"row_number() OVER (PARTITION BY {review_id} IS NULL, {digest} ORDER BY _rid)"
    return f"CASE WHEN {occurrence} = 1 THEN {digest} ELSE md5({digest} || '#' || {occurrence}) END"


def _register_unescape(con) -> None:
    """sl_html_unescape(VARCHAR) as a vectorised UDF: decode entities only where an '&' occurs."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def unescape(arr):  # no annotations: DuckDB inspects them and they are strings here
        has_amp = pc.fill_null(pc.match_substring(arr, "&"), False)
        if not pc.any(has_amp).as_py():
            return arr
        return pa.array([html.unescape(v) if v and "&" in v else v for v in arr.to_pylist()], type=pa.string())

    try:
        con.create_function("sl_html_unescape", unescape, ["VARCHAR"], "VARCHAR", type="arrow")
    except Exception as exc:  # already registered on this connection
        if "already" not in str(exc):
            raise


def raw_line_sql(n_cols: int) -> str:
    """Re-assemble a source row as one CSV line (quoting as needed) for rejected_rows.raw."""
    cells = [
        f"CASE WHEN regexp_matches(coalesce(r.c{i}::VARCHAR, ''), '[\"\\n\\r]') OR contains(coalesce(r.c{i}::VARCHAR, ''), $delim) "
        f"THEN '\"' || replace(r.c{i}::VARCHAR, '\"', '\"\"') || '\"' ELSE coalesce(r.c{i}::VARCHAR, '') END"
        for i in range(n_cols)
    ]
    return f"concat_ws($delim, {', '.join(cells)})"  # flat: a chain of || nests one level per column (1,000 max)
