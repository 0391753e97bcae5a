"""Committing a staged file: deduplicate against the store, insert, keep rejected rows with their line numbers, link
products, and record the upload, in one transaction."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from . import _formats as F
from ._stage import (
    _positional_lines,
    _raw_line_sql,
    _read_raw,
    _spec,
    _Stage,
    _structural_reason,
)
from ._types import Detection, IngestReport


class _Hasher(threading.Thread):
    """sha256 of the upload computed beside DuckDB's read (hashlib releases the GIL)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.hexdigest = path, ""

    def run(self) -> None:
        h = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                h.update(chunk)
        self.hexdigest = h.hexdigest()


def _commit(con, det: Detection, stage: _Stage, batch_id: str, structural, digest: _Hasher,
            source: Path) -> IngestReport:
    """Write rejects, count duplicates, insert new rows and the uploads record."""
    table = det.kind
    keys = {"orders": ("order_id", "line_no"), "reviews": ("review_id",), "products": ("product_id",)}[table]
    cols = ", ".join(c for c in F.CANONICAL[table] if c != "discount")
    n_src = con.execute("SELECT count(*) FROM _raw").fetchall()[0][0]
    n_bad = con.execute("SELECT count(DISTINCT _rid) FROM _stage WHERE _reason IS NOT NULL").fetchall()[0][0]
    n_conflict = _find_conflicting_ids(con, det) if table == "reviews" else 0
    lines = "_rawn"
    if (n_bad or n_conflict) and det.typed:
        # Typed cells print as DuckDB writes them ('1' would come back '1.0'): re-read the file as text so
        # rejected_rows.raw keeps the line's own cells.
        _read_raw(con, source, det, table="_rawtext")
        lines = "_rawtextn"
    if n_bad:
        # One reason per source row (the first rule that fired on any of its lines).
        message = "CASE b0.code " + " ".join(f"WHEN {i} THEN {m}" for i, m in enumerate(stage.messages)) + " END"
        statement = f"""INSERT INTO rejected_rows
            SELECT $batch, $file, b._rid + 2, {_raw_line_sql(len(det.headers))}, b.message
            FROM (
                SELECT b0._rid, {message} AS message
                FROM (SELECT _rid, min(_reason) AS code FROM _stage WHERE _reason IS NOT NULL GROUP BY _rid) b0
                JOIN (SELECT * EXCLUDE (_rid), _rid AS _srid FROM _src QUALIFY row_number() OVER (PARTITION BY _rid) = 1) s
                  ON s._srid = b0._rid
            ) b JOIN {lines} r ON r._rid = b._rid"""
        params = {"batch": batch_id, "file": det.file_name, "delim": det.delimiter, **stage.sql.params}
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    if n_conflict:
        _reject_conflicting_ids(con, det, batch_id, lines)
    if structural and (n_bad or n_conflict):
        _shift_row_numbers(con, batch_id, sorted(line for line, *_ in structural))
    if structural:
        con.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?)",
            [[batch_id, det.file_name, line, raw, _structural_reason(et, msg, len(det.headers))]
             for line, raw, et, msg in structural],
        )
    if table == "products":
        # A catalog upload replaces products that were only derived from orders/reviews (no handle, no SKU).
        con.execute(
            "DELETE FROM products WHERE handle IS NULL AND sku IS NULL AND product_id IN "
            "(SELECT product_id FROM _stage WHERE _reason IS NULL)"
        )
    good = "_stage s"
    if n_bad:
        good += " ANTI JOIN (SELECT DISTINCT _rid FROM _stage WHERE _reason IS NOT NULL) b ON s._rid = b._rid"
    if n_conflict:
        good += " ANTI JOIN _conflicts c ON s._rid = c._rid"
    on = " AND ".join(f"s.{k} = e.{k}" for k in keys)
    existing = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchall()[0][0]
    if existing:
        good += f" ANTI JOIN (SELECT {', '.join(keys)} FROM {table}) e ON {on}"
    # Keys are unique within a file by construction only when line numbers are positional.
    positional = _positional_lines(det)
    dedup = "" if positional else f" QUALIFY row_number() OVER (PARTITION BY {', '.join('s.' + k for k in keys)} ORDER BY s._rid) = 1"
    exploded = bool(_spec(det) and _spec(det).explode)
    # With no rejected row the reject rules need not be evaluated again while writing.
    where = " WHERE s._reason IS NULL" if n_bad else ""
    if exploded:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT s.* FROM {good}{where}{dedup}")
        con.execute(f"INSERT INTO {table} ({cols}, batch_id) SELECT {cols}, ? FROM _new", [batch_id])
        n_loaded = con.execute("SELECT count(DISTINCT _rid) FROM _new").fetchall()[0][0]
        con.execute("DROP TABLE _new")
    else:
        n_loaded = con.execute(
            f"INSERT INTO {table} ({cols}, batch_id) SELECT {', '.join('s.' + c for c in cols.split(', '))}, ? "
            f"FROM {good}{where}{dedup}",
            [batch_id],
        ).fetchall()[0][0]
    n_read = n_src + len(structural)
    n_rejected = n_bad + n_conflict + len(structural)
    n_dup = n_read - n_loaded - n_rejected
    digest.join()
    con.execute(
        "INSERT INTO uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
        [batch_id, det.file_name, digest.hexdigest, det.format, det.kind, n_read, n_loaded, n_rejected, n_dup,
         json.dumps({k: list(v) for k, v in det.mapping.items()})],
    )
    return IngestReport(det.file_name, det.format, det.kind, n_read, n_loaded, n_rejected, n_dup, batch_id)


def _find_conflicting_ids(con, det: Detection) -> int:
    """Temp table _conflicts: later rows whose review id an earlier, different review of the same file uses.

    A repeated id with the same review is a duplicate; with another review it means the column mapped to review_id
    is not one (a product id, say), and counting those rows as duplicates would hide that behind a plausible number.
    """
    con.execute("DROP TABLE IF EXISTS _conflicts")
    if not det.mapping.get("review_id"):
        return 0  # ids hashed from the review itself: two different reviews never share one
    con.execute("""CREATE TEMP TABLE _conflicts AS
        SELECT _rid, review_id FROM (
            SELECT _rid, review_id, h, first_value(h) OVER (PARTITION BY review_id ORDER BY _rid) AS first_h
            FROM (SELECT _rid, review_id, hash(text, title, rating, product_id) AS h
                  FROM _stage WHERE _reason IS NULL)
        ) WHERE h <> first_h""")
    return con.execute("SELECT count(*) FROM _conflicts").fetchall()[0][0]


def _reject_conflicting_ids(con, det: Detection, batch_id: str, lines: str) -> None:
    """Keep the rows of _conflicts in rejected_rows, with a reason that names the suspect column."""
    column = " / ".join(det.source_headers("review_id"))
    statement = f"""INSERT INTO rejected_rows
        SELECT $batch, $file, c._rid + 2, {_raw_line_sql(len(det.headers))},
               'review id ' || c.review_id || ' is already used by a different review earlier in this file; '
               || 'is column ' || $column || ' really a review id? Map another column to review_id, or none'
        FROM _conflicts c JOIN {lines} r ON r._rid = c._rid"""
    con.execute(statement, {"batch": batch_id, "file": det.file_name, "delim": det.delimiter, "column": repr(column)})


def _shift_row_numbers(con, batch_id: str, structural_lines: list[int]) -> None:
    """Account for unreadable lines that DuckDB skipped before a rejected row (row_number is a file line)."""
    rows = con.execute(
        "SELECT row_number FROM rejected_rows WHERE batch_id = ? ORDER BY row_number", [batch_id]
    ).fetchall()
    updates, k = [], 0
    for (rn,) in rows:
        line = rn
        while k < len(structural_lines) and structural_lines[k] <= line:
            line, k = line + 1, k + 1
        if line != rn:
            updates.append([line, batch_id, rn])
    if updates:
        con.executemany("UPDATE rejected_rows SET row_number = ? WHERE batch_id = ? AND row_number = ?", updates)


_PRODUCT_KEYS = """
    SELECT key, any_value(category) AS category, any_value(product_name) AS product_name FROM (
        SELECT product_id AS key, category, product_name FROM products
        UNION ALL SELECT sku, category, product_name FROM products WHERE sku IS NOT NULL
        UNION ALL SELECT handle, category, product_name FROM products WHERE handle IS NOT NULL
    ) GROUP BY key
"""


def _link_products(con, kind: str, batch_id: str) -> None:
    """Fill missing categories/names from the products table and add newly seen products to it."""
    has_catalog = con.execute("SELECT count(*) FROM products WHERE category IS NOT NULL").fetchall()[0][0]
    targets = ("orders", "reviews") if kind == "products" else (kind,)
    for table in targets if has_catalog else ():
        scope = "" if kind == "products" else "AND t.batch_id = $batch"
        con.execute(
            f"""UPDATE {table} t SET category = coalesce(t.category, p.category),
                    product_name = coalesce(t.product_name, p.product_name)
                FROM ({_PRODUCT_KEYS}) p
                WHERE t.product_id = p.key AND (t.category IS NULL OR t.product_name IS NULL) {scope}""",
            {"batch": batch_id} if scope else {},
        )
    if kind == "products":
        return
    con.execute(
        f"""INSERT INTO products (product_id, product_name, category, batch_id)
            SELECT t.product_id, any_value(t.product_name), any_value(t.category), $batch
            FROM _stage_products t ANTI JOIN ({_PRODUCT_KEYS}) p ON t.product_id = p.key
            WHERE t._reason IS NULL AND t.product_id IS NOT NULL
            GROUP BY t.product_id""",
        {"batch": batch_id},
    )
