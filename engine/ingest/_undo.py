"""Taking an upload back, so a wrong import (a swapped column, the wrong file) can be corrected: in one
transaction its rows go, the rows it updated get their earlier version back, rows another upload also holds stay,
and its rejected rows, its reviews' scores and products nothing refers to any more go with it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from engine.store import Store, read_rows

from ._commit import KEYS, SCORE_COLUMNS, mapping_json, version_columns
from ._types import Detection, IngestError


class UnknownUploadError(IngestError):
    """No upload has that batch id (bad input: the CLI exits 2)."""


@dataclass
class UploadInfo:
    """One row of the upload history, as the CLI and the Upload page list it."""

    batch_id: str
    file: str
    format: str | None
    kind: str | None
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_rejected: int
    rows_duplicate: int
    created_at: datetime | None
    sha256: str | None = None
    mapping: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The contract's JSON shape (created_at as ISO text), plus the other counts and the mapping."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat(sep=" ") if self.created_at else None
        return out

    def mapping_text(self) -> str:
        """The mapping used, as 'field = Column' pairs in the file's normalised header names."""
        return ", ".join(f"{k} = {' / '.join(v)}" for k, v in self.mapping.items()) or "-"


@dataclass
class UndoReport:
    """What an undo took out (or, for a preview, would take out)."""

    batch_id: str
    file: str
    kind: str | None
    rows_removed: int  # rows of this upload deleted
    rows_restored: int = 0  # rows it had updated, back to their earlier version
    rows_kept: int = 0  # rows another upload also holds: they stay, now as that upload's
    rejected_removed: int = 0
    products_removed: int = 0
    scores_removed: int = 0

    def as_dict(self) -> dict:
        """The contract's JSON shape ({"batch_id", "rows_removed"}) plus the other counts."""
        return asdict(self)

    def summary(self) -> str:
        """One sentence saying what goes (or went), for the confirmation and the CLI."""
        rows = {"orders": "order lines", "reviews": "reviews", "products": "products"}.get(self.kind or "", "rows")
        parts = [f"{self.rows_removed:,} {rows} removed"]
        if self.rows_restored:
            parts.append(f"{self.rows_restored:,} {rows} it updated back to their earlier version")
        if self.rows_kept:
            parts.append(f"{self.rows_kept:,} {rows} that other uploads also hold kept")
        parts.append(f"{self.rejected_removed:,} rejected rows removed")
        if self.products_removed and self.kind != "products":
            parts.append(f"{self.products_removed:,} products no other row refers to removed")
        if self.scores_removed:
            parts.append(f"{self.scores_removed:,} sentiment scores removed")
        return f"{self.file} (batch {self.batch_id}): " + "; ".join(parts)


_LIST_SQL = """SELECT batch_id, file_name, format, kind, rows_read, rows_loaded, coalesce(rows_updated, 0),
    rows_rejected, rows_duplicate, uploaded_at, sha256, mapping FROM uploads"""


def _info(row: tuple) -> UploadInfo:
    """An uploads row as UploadInfo."""
    *head, sha, mapping = row
    try:
        parsed = json.loads(mapping) if mapping else {}
    except (TypeError, ValueError):
        parsed = {}
    return UploadInfo(*[0 if v is None and i in (4, 5, 6, 7, 8) else v for i, v in enumerate(head)],
                      sha256=sha, mapping=parsed if isinstance(parsed, dict) else {})


def list_uploads(store: Store) -> list[UploadInfo]:
    """Every upload, newest first."""
    return [_info(r) for r in read_rows(store, _LIST_SQL + " ORDER BY uploaded_at DESC NULLS LAST, batch_id")]


def file_sha256(path: str | Path) -> str:
    """The sha256 that uploads.sha256 records for a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def earlier_uploads(store: Store, path: str | Path, sha256: str | None = None) -> list[UploadInfo]:
    """Uploads of the same file (same sha256, hashed here unless given), newest first: what a re-import with
    `replace=True` replaces."""
    return [_info(r) for r in read_rows(store, _LIST_SQL + " WHERE sha256 = ? ORDER BY uploaded_at DESC, batch_id",
                                        [sha256 or file_sha256(path)])]


def mapping_differs(info: UploadInfo, det: Detection) -> bool:
    """Whether a detection would import the file differently from how an earlier upload of it did."""
    return info.kind != det.kind or json.loads(mapping_json(det.mapping)) != info.mapping


MISSING_COLUMNS = ("order_id", "line_no", "order_ts", "product_id", "product_name", "quantity", "revenue",
                   "stored_by")


def missing_lines(store: Store, batch_id: str, limit: int = 10_000) -> list[tuple]:
    """The stored order lines that upload `batch_id` lacked although it carried their orders ("missing from this
    export"), as rows of MISSING_COLUMNS: they stay stored, and this is where a merchant checks whether the export
    or the earlier upload was wrong. Lines removed since (by an undo) are not listed."""
    if not read_rows(store, "SELECT 1 FROM uploads WHERE batch_id = ?", [batch_id]):
        raise UnknownUploadError(f"no upload has batch id {batch_id!r}; `storelens uploads list` shows them.")
    return read_rows(store, """SELECT o.order_id, o.line_no, o.order_ts, o.product_id, o.product_name, o.quantity,
            o.revenue, o.batch_id FROM upload_missing m JOIN orders o ON o.order_id = m.order_id AND o.line_no = m.line_no
        WHERE m.batch_id = ? ORDER BY o.order_id, o.line_no LIMIT ?""", [batch_id, limit])


def undo_upload(store: Store, batch_id: str, dry_run: bool = False) -> UndoReport:
    """Undo one upload in one transaction; with `dry_run` only count what would go (for a confirmation)."""
    with store.exclusive() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            report = undo_in_transaction(con, batch_id)
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    return report


def undo_in_transaction(con, batch_id: str) -> UndoReport:
    """The undo itself, inside the caller's transaction (an import that replaces an earlier upload uses it too)."""
    row = con.execute("SELECT file_name, kind FROM uploads WHERE batch_id = ?", [batch_id]).fetchall()
    if not row:
        raise UnknownUploadError(f"no upload has batch id {batch_id!r}; `storelens uploads list` shows them.")
    file_name, kind = row[0]
    report = UndoReport(batch_id, file_name or "", kind, 0)
    try:
        if kind in KEYS:
            _take_back_rows(con, kind, batch_id, report)
        for table in KEYS:
            _splice_versions(con, table, batch_id)
            _undo_fills(con, table, batch_id)
        if kind in ("orders", "reviews"):
            report.products_removed = _drop_orphan_products(con, batch_id)
        report.rejected_removed = _take_back_rejects(con, batch_id)
        con.execute("DELETE FROM upload_holds WHERE batch_id = ?", [batch_id])
        con.execute("DELETE FROM upload_missing WHERE batch_id = ?", [batch_id])
        con.execute("DELETE FROM uploads WHERE batch_id = ?", [batch_id])
    finally:
        con.execute("DROP TABLE IF EXISTS _mine; DROP TABLE IF EXISTS _back; DROP TABLE IF EXISTS _heir")
    return report


def _on(a: str, b: str, keys: tuple[str, ...]) -> str:
    """Join condition on a table's natural key."""
    return " AND ".join(f"{a}.{k} = {b}.{k}" for k in keys)


def _held(table: str, h: str, m: str) -> str:
    """Condition: hold `h` is on the row of `table` whose key `m` carries."""
    line = f"{m}.line_no" if table == "orders" else "NULL"
    return (f"{h}.held_table = '{table}' AND {h}.row_key = {m}.{KEYS[table][0]}::VARCHAR "
            f"AND {h}.line_no IS NOT DISTINCT FROM {line}")


def _take_back_rows(con, table: str, batch: str, report: UndoReport) -> None:
    """The upload's own rows: restore what it replaced, hand over what others hold, delete the rest."""
    keys = KEYS[table]
    key_list = ", ".join(keys)
    kept = version_columns(table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mine AS SELECT {key_list} FROM {table} WHERE batch_id = ?", [batch])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _back AS SELECT v.* FROM {table}_versions v
                    SEMI JOIN _mine m ON {_on('v', 'm', keys)} WHERE v.replaced_by = ?""", [batch])
    # The earliest other upload that holds a row takes it over.
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _heir AS
        SELECT {', '.join('m.' + k for k in keys)}, arg_min(h.batch_id, u.uploaded_at) AS heir
        FROM _mine m JOIN upload_holds h ON {_held(table, 'h', 'm')} JOIN uploads u ON u.batch_id = h.batch_id
        WHERE h.batch_id <> ? AND NOT EXISTS (SELECT 1 FROM _back b WHERE {_on('b', 'm', keys)})
        GROUP BY ALL""", [batch])
    report.rows_restored = con.execute("SELECT count(*) FROM _back").fetchall()[0][0]
    report.rows_kept = con.execute("SELECT count(*) FROM _heir").fetchall()[0][0]
    if table == "reviews":
        report.scores_removed = con.execute(
            """DELETE FROM review_sentiment WHERE review_id IN (SELECT review_id FROM _mine)
               AND review_id NOT IN (SELECT review_id FROM _heir)""").fetchall()[0][0]
        con.execute(f"""INSERT INTO review_sentiment ({SCORE_COLUMNS}) SELECT {SCORE_COLUMNS}
                        FROM review_sentiment_versions
                        WHERE replaced_by = ? AND review_id IN (SELECT review_id FROM _back)""",
                    [batch])
        con.execute("""DELETE FROM review_sentiment_versions WHERE replaced_by = ?
                       AND review_id IN (SELECT review_id FROM _back)""", [batch])
    con.execute(f"UPDATE {table} t SET batch_id = h.heir FROM _heir h WHERE t.batch_id = ? AND {_on('t', 'h', keys)}",
                [batch])
    con.execute(f"""DELETE FROM upload_holds d WHERE EXISTS (SELECT 1 FROM _heir m WHERE d.batch_id = m.heir
                    AND {_held(table, 'd', 'm')})""")
    n_deleted = con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [batch]).fetchall()[0][0]
    report.rows_removed = n_deleted - report.rows_restored
    con.execute(f"INSERT INTO {table} ({kept}) SELECT {kept} FROM _back")
    con.execute(f"DELETE FROM {table}_versions v WHERE replaced_by = ? AND EXISTS (SELECT 1 FROM _back b WHERE "
                f"{_on('b', 'v', keys)})", [batch])
    if table == "products":
        report.products_removed = report.rows_removed


def _splice_versions(con, table: str, batch: str) -> None:
    """Versions of this upload that a later upload replaced: another holder takes them over; otherwise the
    version this upload had replaced now counts as replaced by the later one, and this upload's goes."""
    keys = KEYS[table]
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _heir AS
        SELECT {', '.join('v.' + k for k in keys)}, v.replaced_by, arg_min(h.batch_id, u.uploaded_at) AS heir
        FROM {table}_versions v JOIN upload_holds h ON {_held(table, 'h', 'v')}
        JOIN uploads u ON u.batch_id = h.batch_id
        WHERE v.batch_id = ? AND h.batch_id <> ? GROUP BY ALL""", [batch, batch])
    con.execute(f"""UPDATE {table}_versions v SET batch_id = h.heir FROM _heir h
                    WHERE v.batch_id = ? AND v.replaced_by = h.replaced_by AND {_on('v', 'h', keys)}""", [batch])
    con.execute(f"""UPDATE {table}_versions w SET replaced_by = h.heir FROM _heir h
                    WHERE w.replaced_by = ? AND {_on('w', 'h', keys)}""", [batch])
    if table == "reviews":
        con.execute("""UPDATE review_sentiment_versions s SET replaced_by = h.heir FROM _heir h
                       WHERE s.replaced_by = ? AND s.review_id = h.review_id""", [batch])
    con.execute(f"""DELETE FROM upload_holds d WHERE EXISTS (SELECT 1 FROM _heir m WHERE d.batch_id = m.heir
                    AND {_held(table, 'd', 'm')})""")
    if table == "reviews":
        # The scores of this upload's superseded versions go; the chain A -> this upload -> C becomes A -> C.
        con.execute("""DELETE FROM review_sentiment_versions s WHERE EXISTS (SELECT 1 FROM reviews_versions v
                       WHERE v.batch_id = ? AND v.review_id = s.review_id AND v.replaced_by = s.replaced_by)""",
                    [batch])
        con.execute("""UPDATE review_sentiment_versions s SET replaced_by = v.replaced_by FROM reviews_versions v
                       WHERE s.replaced_by = ? AND v.batch_id = ? AND v.review_id = s.review_id""", [batch, batch])
    con.execute(f"""UPDATE {table}_versions w SET replaced_by = v.replaced_by FROM {table}_versions v
                    WHERE w.replaced_by = ? AND v.batch_id = ? AND {_on('w', 'v', keys)}""", [batch, batch])
    con.execute(f"DELETE FROM {table}_versions WHERE batch_id = ?", [batch])


def _undo_fills(con, table: str, batch: str) -> None:
    """Rows of other uploads this upload changed without owning them (a catalog filling in categories) get their
    earlier version back while no later upload has replaced them; the before-images go either way."""
    keys = KEYS[table]
    kept = version_columns(table)
    left = f"FROM {table}_versions v WHERE v.replaced_by = ?"
    if not con.execute(f"SELECT count(*) {left}", [batch]).fetchall()[0][0]:
        return
    same_owner = (f"EXISTS (SELECT 1 FROM {table} t WHERE {_on('t', 'v', keys)} "
                  "AND t.batch_id IS NOT DISTINCT FROM v.batch_id)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _back AS SELECT v.* {left} AND {same_owner}", [batch])
    con.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _back b WHERE {_on('t', 'b', keys)})")
    con.execute(f"INSERT INTO {table} ({kept}) SELECT {kept} FROM _back")
    con.execute(f"DELETE FROM {table}_versions WHERE replaced_by = ?", [batch])
    if table == "reviews":
        con.execute("DELETE FROM review_sentiment_versions WHERE replaced_by = ?", [batch])


def _drop_orphan_products(con, batch: str) -> int:
    """Products this upload added: gone when no order or review refers to them, else kept as a referring upload's."""
    referring = "SELECT product_id, batch_id FROM orders UNION ALL SELECT product_id, batch_id FROM reviews"
    n = con.execute(f"""DELETE FROM products WHERE batch_id = ? AND product_id NOT IN
                        (SELECT product_id FROM ({referring}) WHERE product_id IS NOT NULL)""",
                    [batch]).fetchall()[0][0]
    con.execute(f"""UPDATE products p SET batch_id = r.owner
                    FROM (SELECT product_id, min(batch_id) AS owner FROM ({referring}) GROUP BY product_id) r
                    WHERE p.batch_id = ? AND p.product_id = r.product_id""", [batch])
    return int(n)


def _take_back_rejects(con, batch: str) -> int:
    """Its rejected rows go, except lines a later import of the same file also rejected: they pass to it."""
    con.execute("""CREATE OR REPLACE TEMP TABLE _heir AS
        SELECT h.line_no, arg_min(h.batch_id, u.uploaded_at) AS heir FROM upload_holds h
        JOIN uploads u ON u.batch_id = h.batch_id
        WHERE h.held_table = 'rejected_rows' AND h.row_key = ? AND h.batch_id <> ? GROUP BY h.line_no""",
        [batch, batch])
    con.execute("""UPDATE rejected_rows r SET batch_id = h.heir FROM _heir h
                   WHERE r.batch_id = ? AND r.row_number = h.line_no""", [batch])
    con.execute("""UPDATE upload_holds d SET row_key = h.heir FROM _heir h
                   WHERE d.held_table = 'rejected_rows' AND d.row_key = ? AND d.line_no = h.line_no""", [batch])
    con.execute("""DELETE FROM upload_holds d WHERE d.held_table = 'rejected_rows' AND d.row_key = d.batch_id""")
    return int(con.execute("DELETE FROM rejected_rows WHERE batch_id = ?", [batch]).fetchall()[0][0])
