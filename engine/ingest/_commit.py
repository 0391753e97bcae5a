"""Committing a staged file: deduplicate against the store, insert, keep rejected rows with their line numbers, link
products, and record the upload, in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

from . import _formats as F
from ._bytescan import Scan
from ._lines import LineNumbers, line_numbers
from ._stage import Stage, format_spec, positional_lines, raw_line_sql, read_raw, structural_reason
from ._tolerant import known_lines
from ._types import Detection, IngestReport

KEYS: dict[str, tuple[str, ...]] = {"orders": ("order_id", "line_no"), "reviews": ("review_id",),
                                    "products": ("product_id",)}
SCORE_COLUMNS = "review_id, label, p_negative, p_neutral, p_positive, model_version, scored_at"
# Filled in from the catalog after an import: an empty cell in a later export carries no news about them.
_FILLED = ("category", "product_name")


# Columns the engine derives for a stored row after it is written (a review's language): a version of the row keeps
# them, so undoing an update brings the row back exactly as it was.
DERIVED: dict[str, tuple[str, ...]] = {"reviews": ("language",)}


def stored_columns(table: str) -> list[str]:
    """The canonical columns a table stores (discount only feeds revenue), without batch_id."""
    return [c for c in F.CANONICAL[table] if c != "discount"]


def version_columns(table: str) -> str:
    """Every column a row's version keeps and an undo restores: the stored and derived columns and batch_id."""
    return ", ".join([*stored_columns(table), *DERIVED.get(table, ()), "batch_id"])


def commit(con, det: Detection, stage: Stage, batch_id: str, structural, digest: Scan, scan: Scan,
            source: Path) -> IngestReport:
    """Write rejects, count duplicates and updates, insert new rows and the uploads record."""
    table = det.kind
    keys = KEYS[table]
    cols = ", ".join(stored_columns(table))
    n_src = con.execute("SELECT count(*) FROM _raw").fetchall()[0][0]
    n_bad = con.execute("SELECT count(DISTINCT _rid) FROM _stage WHERE _reason IS NOT NULL").fetchall()[0][0]
    n_conflict = _find_conflicting_ids(con, det) if table == "reviews" else 0
    lines = "_rawn"
    if (n_bad or n_conflict) and det.typed:
        # Typed cells print as DuckDB writes them ('1' would come back '1.0'): re-read the file as text so
        # rejected_rows.raw keeps the line's own cells.
        read_raw(con, source, det, table="_rawtext")
        lines = "_rawtextn"
    numbers = None
    if n_bad or n_conflict or structural:
        scan.join()
        numbers = (known_lines(con, det.line_starts) if det.line_starts is not None else  # the tolerant reader's
                   line_numbers(con, source, det.delimiter, scan.lines, n_src, [r[0] for r in structural]))
    if n_bad:
        # One reason per source row (the first rule that fired on any of its lines).
        message = "CASE b0.code " + " ".join(f"WHEN {i} THEN {m}" for i, m in enumerate(stage.messages)) + " END"
        statement = f"""INSERT INTO rejected_rows
            SELECT $batch, $file, {numbers.rid_sql('b._rid')}, {raw_line_sql(len(det.headers))}, b.message
            FROM (
                SELECT b0._rid, {message} AS message
                FROM (SELECT _rid, min(_reason) AS code FROM _stage WHERE _reason IS NOT NULL GROUP BY _rid) b0
                JOIN (SELECT * EXCLUDE (_rid), _rid AS _srid FROM _src QUALIFY row_number() OVER (PARTITION BY _rid) = 1) s
                  ON s._srid = b0._rid
            ) b JOIN {lines} r ON r._rid = b._rid"""
        params = {"batch": batch_id, "file": det.file_name, "delim": det.delimiter, **stage.sql.params}
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    if n_conflict:
        _reject_conflicting_ids(con, det, batch_id, lines, numbers)
    if structural and (n_bad or n_conflict) and numbers.plain:
        _shift_row_numbers(con, batch_id, sorted(line for line, *_ in structural))
    if structural:
        con.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?)",
            [[batch_id, det.file_name, numbers.of_record(line), raw, structural_reason(et, msg, len(det.headers))]
             for line, raw, et, msg in structural],
        )
    if table == "products":
        # A catalog upload replaces products that were only derived from orders/reviews (no handle, no SKU); the
        # derived rows are kept as versions so undoing the catalog brings them back.
        derived = ("FROM products WHERE handle IS NULL AND sku IS NULL AND product_id IN "
                   "(SELECT product_id FROM _stage WHERE _reason IS NULL)")
        kept = version_columns("products")
        con.execute(f"INSERT INTO products_versions ({kept}, replaced_by) SELECT {kept}, ? {derived}", [batch_id])
        con.execute(f"DELETE {derived}")
    good = "_stage s"
    if n_bad:
        good += " ANTI JOIN (SELECT DISTINCT _rid FROM _stage WHERE _reason IS NOT NULL) b ON s._rid = b._rid"
    if n_conflict:
        good += " ANTI JOIN _conflicts c ON s._rid = c._rid"
    # Keys are unique within a file by construction only when line numbers are positional.
    positional = positional_lines(det)
    # A platform line id names a line on its own: a file that repeats one (overlapping pages of an export) holds it once.
    within = ("s.order_id, coalesce('i' || s.line_id, s.line_no::VARCHAR)" if table == "orders" and
              det.mapping.get("line_id") else ", ".join("s." + k for k in keys))
    dedup = ("" if positional and not det.mapping.get("line_id") else
             f" QUALIFY row_number() OVER (PARTITION BY {within} ORDER BY s._rid) = 1")
    exploded = bool(format_spec(det) and format_spec(det).explode)
    # With no rejected row the reject rules need not be evaluated again while writing.
    where = " WHERE s._reason IS NULL" if n_bad else ""
    existing = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchall()[0][0]
    n_loaded, n_updated = _write(con, table, keys, cols, good, where, dedup, batch_id, exploded, existing)
    sha256 = digest.sha256()
    n_read = n_src + len(structural)
    n_rejected = n_bad + n_conflict + len(structural)
    if n_rejected:
        _hold_repeated_rejects(con, batch_id, sha256)
    n_dup = n_read - n_loaded - n_updated - n_rejected
    con.execute(
        """INSERT INTO uploads (batch_id, file_name, sha256, format, kind, rows_read, rows_loaded, rows_rejected,
               rows_duplicate, uploaded_at, mapping, rows_updated)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?)""",
        [batch_id, det.file_name, sha256, det.format, det.kind, n_read, n_loaded, n_rejected, n_dup,
         mapping_json(det.mapping), n_updated],
    )
    report = IngestReport(det.file_name, det.format, det.kind, n_read, n_loaded, n_updated, n_rejected, n_dup,
                          batch_id)
    if table == "orders" and existing:
        report.lines_missing, report.warnings = _missing_lines(con, batch_id)
    return report


def _missing_lines(con, batch_id: str) -> tuple[int, list[str]]:
    """How many stored lines of the file's orders the file lacks, and the sentence that says so."""
    n, order_id, product = con.execute(
        """SELECT count(*), min(m.order_id), arg_min(o.product_id, m.order_id) FROM upload_missing m
           JOIN orders o ON o.order_id = m.order_id AND o.line_no = m.line_no WHERE m.batch_id = ?""",
        [batch_id]).fetchall()[0]
    if not n:
        return 0, []
    lines = "line" if n == 1 else "lines"
    example = f"order {order_id}" + (f", product {product}" if product else "")
    return int(n), [f"{n:,} order {lines} stored by earlier uploads are missing from this export (e.g. {example}): "
                    "they are kept, not deleted; `storelens uploads missing` lists them."]


def _write(con, table: str, keys: tuple[str, ...], cols: str, good: str, where: str, dedup: str, batch_id: str,
           exploded: bool, existing: int) -> tuple[int, int]:
    """Insert the good rows: (source rows loaded, source rows updated)."""
    if existing:
        return _merge(con, table, keys, cols, f"SELECT s.* FROM {good}{where}{dedup}", batch_id, exploded)
    if exploded:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT s.* FROM {good}{where}{dedup}")
        con.execute(f"INSERT INTO {table} ({cols}, batch_id) SELECT {cols}, ? FROM _new", [batch_id])
        n_loaded = con.execute("SELECT count(DISTINCT _rid) FROM _new").fetchall()[0][0]
        con.execute("DROP TABLE _new")
        return n_loaded, 0
    # An empty table: every good row is new, written straight from the staged view.
    n_loaded = con.execute(
        f"INSERT INTO {table} ({cols}, batch_id) SELECT {', '.join('s.' + c for c in cols.split(', '))}, ? "
        f"FROM {good}{where}{dedup}",
        [batch_id],
    ).fetchall()[0][0]
    return n_loaded, 0


def mapping_json(mapping: dict[str, tuple[str, ...]]) -> str:
    """The mapping as uploads.mapping stores it, so a later import of the same file can tell whether it differs."""
    return json.dumps({k: list(v) for k, v in sorted(mapping.items())})


def _merge(con, table: str, keys: tuple[str, ...], cols: str, rows_sql: str, batch_id: str,
           exploded: bool) -> tuple[int, int]:
    """Write a file's good rows into a table that has rows: (source rows loaded, source rows updated).

    A row whose key is stored with the same information is a duplicate: the upload holds it (upload_holds), so
    undoing the upload that stored it keeps it. A stored row whose information differs is an update, the later
    export wins: the stored row moves to <table>_versions (and a review's score to review_sentiment_versions, as
    it scored the old text), from where undoing this upload restores it.
    """
    on = " AND ".join(f"n.{k} = e.{k}" for k in keys)
    same = " AND ".join(
        f"(n.{c} IS NULL OR n.{c} = e.{c})" if c in _FILLED else f"n.{c} IS NOT DISTINCT FROM e.{c}"
        for c in stored_columns(table) if c not in keys
    )
    key_list = ", ".join(keys)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS {rows_sql}")
    if table == "orders":
        _align_lines(con, batch_id)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _match AS
        SELECT n._rid, {', '.join('n.' + k for k in keys)}, {same} AS same
        FROM _new n JOIN {table} e ON {on}""")
    changed = f"(SELECT {key_list} FROM _match WHERE NOT same)"
    row_key = keys[0] + "::VARCHAR"
    line_no = "line_no" if table == "orders" else "NULL"
    try:
        n_upd_lines = con.execute("SELECT count(*) FROM _match WHERE NOT same").fetchall()[0][0]
        if n_upd_lines:
            kept = version_columns(table)
            con.execute(f"INSERT INTO {table}_versions ({kept}, replaced_by) SELECT {kept}, ? FROM {table} e "
                        f"SEMI JOIN {changed} u ON {on.replace('n.', 'u.')}", [batch_id])
            if table == "reviews":
                scored = "FROM review_sentiment WHERE review_id IN (SELECT review_id FROM _match WHERE NOT same)"
                con.execute(f"INSERT INTO review_sentiment_versions ({SCORE_COLUMNS}, replaced_by) "
                            f"SELECT {SCORE_COLUMNS}, ? {scored}", [batch_id])
                con.execute(f"DELETE {scored}")
            con.execute(f"DELETE FROM {table} e WHERE EXISTS (SELECT 1 FROM {changed} u WHERE "
                        f"{on.replace('n.', 'u.')})")
        # Keys are unique in _new (one row per key), so each held row is written once.
        con.execute(f"""INSERT INTO upload_holds SELECT ?, ?, {row_key}, {line_no}
                        FROM _match WHERE same""", [batch_id, table])
        con.execute(f"INSERT INTO {table} ({cols}, batch_id) SELECT {', '.join('n.' + c for c in cols.split(', '))}, ? "
                    f"FROM _new n ANTI JOIN (SELECT {key_list} FROM _match WHERE same) d ON {on.replace('e.', 'd.')}",
                    [batch_id])
        if not exploded:  # one line per source row
            n_new, n_matched = (con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("_new", "_match"))
            return n_new - n_matched, n_upd_lines
        # A source row (several lines for packed formats) is loaded when any line is new, else updated when any
        # line changed, else a duplicate.
        loaded, updated = con.execute(f"""
            SELECT count(*) FILTER (WHERE n_new > 0), count(*) FILTER (WHERE n_new = 0 AND n_changed > 0) FROM (
                SELECT n._rid, count(*) FILTER (WHERE m._rid IS NULL) AS n_new,
                       count(*) FILTER (WHERE NOT m.same) AS n_changed
                FROM _new n LEFT JOIN _match m ON m._rid = n._rid AND {on.replace('e.', 'm.')}
                GROUP BY n._rid)""").fetchall()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS _new; DROP TABLE IF EXISTS _match")
    return int(loaded), int(updated)


def _line_identity(t: str) -> str:
    """An order line's identity within its order, never its position: the platform's line id where the export has
    one, else its product, else a hash of its content. With the occurrence among lines of the same identity (two
    lines of one product in one order are its first and second), it names one line in an order."""
    content = ", ".join(f"{t}.{c}" for c in ("product_name", "quantity", "unit_price", "revenue", "order_ts"))
    return (f"CASE WHEN {t}.line_id IS NOT NULL THEN 'i' || {t}.line_id WHEN {t}.product_id IS NOT NULL "
            f"THEN 'p' || {t}.product_id ELSE 'h' || md5(concat_ws(chr(31), {content})) END")


def _align_lines(con, batch_id: str) -> None:
    """Give the file's lines of orders already stored the line_no of the stored line they are, so the merge keyed on
    (order_id, line_no) compares each line with itself: a line is matched by identity and occurrence
    (`_line_identity`), never by position, so a re-upload missing one line neither shifts nor overwrites another.

    Lines new to a stored order are numbered after its last line. Stored lines that the file's orders lack are kept
    and listed in upload_missing under this upload ("missing from this export").
    """
    ident_old, ident_new = _line_identity("e"), _line_identity("n")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _old AS
        SELECT order_id, line_no, ident, row_number() OVER (PARTITION BY order_id, ident ORDER BY line_no) AS occ
        FROM (SELECT e.order_id, e.line_no, {ident_old} AS ident
              FROM orders e SEMI JOIN (SELECT DISTINCT order_id FROM _new) o ON e.order_id = o.order_id)""")
    try:
        if not con.execute("SELECT count(*) FROM (SELECT 1 FROM _old LIMIT 1)").fetchall()[0][0]:
            return  # none of the file's orders is stored: positions stand as read
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _placed AS
            SELECT n.nrow, n.order_id, o.line_no AS old_line, n.rid, n.lno FROM (
                SELECT nrow, order_id, ident, rid, lno,
                       row_number() OVER (PARTITION BY order_id, ident ORDER BY rid, lno) AS occ
                FROM (SELECT n.rowid AS nrow, n.order_id, {ident_new} AS ident, n._rid AS rid, n.line_no AS lno
                      FROM _new n SEMI JOIN (SELECT DISTINCT order_id FROM _old) o ON n.order_id = o.order_id)
            ) n LEFT JOIN _old o ON o.order_id = n.order_id AND o.ident = n.ident AND o.occ = n.occ""")
        con.execute("""UPDATE _new SET line_no = a.line_no FROM (
                SELECT p.nrow, coalesce(p.old_line, m.last + row_number() OVER (
                    PARTITION BY p.order_id, p.old_line IS NULL ORDER BY p.rid, p.lno))::INTEGER AS line_no
                FROM _placed p JOIN (SELECT order_id, max(line_no) AS last FROM _old GROUP BY order_id) m
                  ON m.order_id = p.order_id) a
            WHERE _new.rowid = a.nrow""")
        con.execute("""INSERT INTO upload_missing SELECT ?, o.order_id, o.line_no FROM _old o
                       ANTI JOIN _placed p ON p.order_id = o.order_id AND p.old_line = o.line_no""", [batch_id])
    finally:
        con.execute("DROP TABLE IF EXISTS _old; DROP TABLE IF EXISTS _placed")


def _hold_repeated_rejects(con, batch_id: str, sha256: str) -> None:
    """A re-imported file's rejected rows are stored once: a line an earlier upload of the same file already keeps
    with the same reason is held (upload_holds) instead of stored again."""
    repeated = """SELECT min(o.batch_id) AS owner, n.row_number FROM rejected_rows n JOIN rejected_rows o
        ON o.row_number = n.row_number AND o.raw IS NOT DISTINCT FROM n.raw AND o.reason IS NOT DISTINCT FROM n.reason
        WHERE n.batch_id = $batch AND o.batch_id IN (SELECT batch_id FROM uploads WHERE sha256 = $sha)
        GROUP BY n.row_number"""
    n = con.execute(f"INSERT INTO upload_holds SELECT $batch, 'rejected_rows', owner, row_number FROM ({repeated})",
                    {"batch": batch_id, "sha": sha256}).fetchall()[0][0]
    if n:
        con.execute("""DELETE FROM rejected_rows WHERE batch_id = $batch AND row_number IN
                       (SELECT line_no FROM upload_holds WHERE batch_id = $batch AND held_table = 'rejected_rows')""",
                    {"batch": batch_id})


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
            FROM (SELECT _rid, review_id, hash(regexp_replace(text, '\\s+', '', 'g'), title, rating) AS h
                  FROM _stage WHERE _reason IS NULL)
        ) WHERE h <> first_h""")
    return con.execute("SELECT count(*) FROM _conflicts").fetchall()[0][0]


def _reject_conflicting_ids(con, det: Detection, batch_id: str, lines: str, numbers: LineNumbers) -> None:
    """Keep the rows of _conflicts in rejected_rows, with a reason that names the suspect column."""
    column = " / ".join(det.source_headers("review_id"))
    statement = f"""INSERT INTO rejected_rows
        SELECT $batch, $file, {numbers.rid_sql('c._rid')}, {raw_line_sql(len(det.headers))},
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


def link_products(con, kind: str, batch_id: str) -> None:
    """Fill missing categories/names from the products table and add newly seen products to it."""
    has_catalog = con.execute("SELECT count(*) FROM products WHERE category IS NOT NULL").fetchall()[0][0]
    targets = ("orders", "reviews") if kind == "products" else (kind,)
    for table in targets if has_catalog else ():
        scope = "" if kind == "products" else "AND t.batch_id = $batch"
        if kind == "products":
            # A catalog fills in rows other uploads own: keep their before-images so undoing it takes that back.
            kept = version_columns(table)
            con.execute(
                f"""INSERT INTO {table}_versions ({kept}, replaced_by)
                    SELECT {', '.join('t.' + c for c in kept.split(', '))}, $batch
                    FROM {table} t JOIN ({_PRODUCT_KEYS}) p ON t.product_id = p.key
                    WHERE (t.category IS NULL AND p.category IS NOT NULL)
                       OR (t.product_name IS NULL AND p.product_name IS NOT NULL)""",
                {"batch": batch_id},
            )
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
            FROM {kind} t ANTI JOIN ({_PRODUCT_KEYS}) p ON t.product_id = p.key
            WHERE t.batch_id = $batch AND t.product_id IS NOT NULL
            GROUP BY t.product_id""",
        {"batch": batch_id},
    )
