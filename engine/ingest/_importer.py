"""One upload end to end: detect, read, stage, commit; every row loaded, a duplicate, or rejected with a reason."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import duckdb

from engine.store import PLAUSIBLE_FROM, Store, plausible_sql

from ._bytescan import Scan
from ._commit import KEYS, commit, link_products
from ._detect import detect
from ._sniff import transcode
from ._stage import build_stage, optional_warnings, read_raw, sample_types
from ._tolerant import start_scan, tolerant_copy
from ._types import Detection, IngestError, IngestReport, Progress, missing_message
from ._undo import undo_in_transaction

# DuckDB's reader expands these in a file name; an upload's name is always a literal path.
_GLOB = frozenset("*?[]{}")
# Structural errors after which DuckDB's reader may have lost its place (a quote opened and never closed).
_LOST = frozenset({"UNQUOTED VALUE", "LINE SIZE OVER MAXIMUM"})


def ingest(
    store: Store,
    path: str | Path,
    kind: str | None = None,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
    file_name: str | None = None,
    replace: bool = False,
    unpivot: bool = False,
    detection: Detection | None = None,
    scan: Scan | None = None,
) -> IngestReport:
    """Load one file as one transaction: every row is loaded, an update, a duplicate, or kept in rejected_rows.

    With `replace`, earlier uploads of the same file (same sha256) are undone in the same transaction first: how a
    file imported with a wrong mapping is imported again with the right one. A caller that started the file's
    `scan` early (`start_scan`, as the CLI does while it opens the database) passes it on.
    """
    say = progress or (lambda f, m: None)
    # A caller that validated the file first passes that detection on instead of sniffing the file again.
    det = detection or detect(path, kind, fmt, mapping, file_name, unpivot=unpivot)
    if det.missing:
        raise IngestError(missing_message(det))
    say(0.05, f"{det.file_name}: {det.format} ({det.kind})")
    types = sample_types(det)  # before a scan starts here: both are Python, and would take turns
    digest = scan or start_scan(det)  # the file's own bytes are hashed; a UTF-8 file is also the one DuckDB reads
    temps: list[Path] = []
    if det.encoding == "utf-8":
        source, scan = det.path, digest
    else:  # the UTF-8 copy DuckDB reads is scanned for its lines
        source = _temp(temps, transcode(det.path, det.encoding))
        scan = start_scan(det, copy=source)
    if _GLOB & set(str(source)):
        source = _literal(temps, source)
    batch_id = uuid.uuid4().hex[:16]
    with store.exclusive() as con:
        try:
            # Staging lives in connection-local temp tables; only the final writes form the transaction.
            say(0.1, "reading")
            try:
                structural = read_raw(con, source, det, types)
                if types and any(r[2] == "CAST" for r in structural):
                    # A value the sample did not predict: re-read as text so every row gets its own reason.
                    types = {}
                    structural = read_raw(con, source, det)
                if any(r[2] == "INVALID UNICODE" for r in structural) and source == det.path:
                    source = _temp(temps, transcode(det.path, "cp1252"))
                    structural = read_raw(con, source, det, types)
                lost = _lost(con, scan, structural)
            except duckdb.Error:  # the reader gave up on the file: the line-by-line reader takes it
                lost = True
            if lost:
                types = {}
                source, structural = _tolerant(temps, source, det)
                structural += read_raw(con, source, det)
                structural.sort()
            det.typed = frozenset(types)
            say(0.5, "mapping columns")
            stage = build_stage(con, det)
            warnings = optional_warnings(con, stage)
            say(0.7, "deduplicating and writing")
            with store.transaction():
                replaced, n_replaced = _replace_earlier(con, digest) if replace else ([], 0)
                report = commit(con, det, stage, batch_id, structural, digest, scan, source)
                report.replaced, report.rows_replaced = replaced, n_replaced
                say(0.95, "linking products and categories")
                link_products(con, det.kind, batch_id)
                if det.kind == "reviews":
                    _fill_languages(con, batch_id)
                warnings += _implausible_dates(con, det.kind, batch_id)
        finally:
            for view in ("_stage", "_src", "_rawn", "_rawtextn"):
                con.execute(f"DROP VIEW IF EXISTS {view}")
            for table in ("_raw", "_groups", "_split", "_rawtext", "_conflicts", "_wide_names", "_linemap"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
            for temp in temps:
                temp.unlink(missing_ok=True)
                if temp.name == "upload.csv":  # the link's private folder
                    temp.parent.rmdir()
    report.warnings = [*det.notes, *warnings, *report.warnings]
    report.mapping, report.unmapped = det.applied_mapping()
    say(1.0, report.summary())
    return report


def _fill_languages(con, batch_id: str) -> None:
    """Each new review's language (reviews.language). Imported here, not at the top: the sentiment package loads
    pandas, which an orders import (the CLI's hot path) never needs."""
    from engine.sentiment import fill_languages

    fill_languages(con, batch_id)


def _lost(con, scan: Scan, structural: list) -> bool:
    """Whether DuckDB's read may have skipped or misplaced lines, so the line-by-line reader must take the file: a
    sign from the scan, a structural error that loses the reader's place, or more lines than records that is not
    explained by quoted line breaks alone (blank lines, which DuckDB skips without a word)."""
    scan.join()
    if scan.suspect or any(r[2] in _LOST or "\n" in r[1] for r in structural):
        return True
    records = con.execute("SELECT count(*) FROM _raw").fetchall()[0][0] + len(structural)
    return scan.lines > 1 + records and scan.has_blank_lines()


def _temp(temps: list[Path], path: Path) -> Path:
    """Remember a temporary file for removal after the import."""
    temps.append(path)
    return path


def _literal(temps: list[Path], source: Path) -> Path:
    """A link with a plain name to a file whose name holds glob characters, so DuckDB reads that file only."""
    folder = Path(tempfile.mkdtemp(prefix="storelens-"))
    link = folder / "upload.csv"
    try:
        os.symlink(source.resolve(), link)
    except OSError:
        import shutil

        shutil.copyfile(source, link)
    temps.append(link)
    return link


def _tolerant(temps: list[Path], source: Path, det) -> tuple[Path, list]:
    """The clean copy of the line-by-line reader and its rejected lines; the copy is quoted with '"'."""
    clean, rejects, det.line_starts = tolerant_copy(source, det)
    det.quote = '"'
    return _temp(temps, clean), rejects


def _replace_earlier(con, digest: Scan) -> tuple[list[str], int]:
    """Undo every earlier upload of this file, newest first, inside the import's transaction: (their batch ids,
    the rows they had stored)."""
    earlier = con.execute(
        "SELECT batch_id, kind FROM uploads WHERE sha256 = ? ORDER BY uploaded_at DESC, batch_id DESC",
        [digest.sha256()]).fetchall()
    stored = sum(con.execute(f"SELECT count(*) FROM {kind} WHERE batch_id = ?", [batch]).fetchall()[0][0]
                 for batch, kind in earlier if kind in KEYS)
    for batch, _ in earlier:
        undo_in_transaction(con, batch)
    return [batch for batch, _ in earlier], int(stored)


def _implausible_dates(con, kind: str, batch_id: str) -> list[str]:
    """Dates before 1990 or over a year ahead are kept but said, so a misread date column never hides."""
    column = {"orders": "order_ts", "reviews": "review_ts"}.get(kind)
    if column is None:
        return []
    ok, params = plausible_sql(column)
    n, first = con.execute(
        f"SELECT count(*), min({column}) FROM {kind} WHERE batch_id = ? AND {column} IS NOT NULL AND NOT {ok}",
        [batch_id, *params],
    ).fetchone()
    if not n:
        return []
    what = "order dates" if kind == "orders" else "review dates"
    return [f"{n} {what} lie before {PLAUSIBLE_FROM:%Y} or more than a year ahead (e.g. {first:%Y-%m-%d}): they are "
            "kept but left out of every period; check how that date column was read."]
