"""What the Upload page asks for: save an upload, recognise its format, kind and columns, take the user's mapping,
import each file (replacing an earlier import of it), show what was loaded, updated or rejected, and undo an upload."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from engine.ingest import (
    CANONICAL,
    Detection,
    IngestError,
    IngestReport,
    UndoReport,
    UploadInfo,
    detect,
    ingest,
    mapping_differs,
    spool_dir,
    spool_remove,
    spool_write,
    undo_upload,
)
from engine.store import safe_csv_bytes

from . import cache
from .sentiment_model import score_new_reviews_in_background, sentiment_version
from .session import data_version, db_path, store

__all__ = [
    "KINDS",
    "NONE_CHOICE",
    "IngestError",
    "ImportItem",
    "ImportResult",
    "save_upload",
    "discard_uploads_except",
    "detect_upload",
    "kind_can_be_chosen",
    "preview",
    "canonical_columns",
    "header_choices",
    "mapped_header",
    "user_mapping",
    "FIELD_NONE",
    "column_table",
    "field_options",
    "default_field",
    "confidence_label",
    "mapping_from_columns",
    "import_files",
    "uploads",
    "rejected_rows",
    "rejected_csv",
    "report_table",
    "missing_lines",
    "missing_csv",
    "MISSING_COLUMNS_SHOWN",
    "history",
    "upload_label",
    "undo_preview",
    "undo",
    "earlier_upload",
    "result_message",
    "REJECTED_COLUMNS",
]

KINDS: tuple[str, ...] = ("orders", "reviews", "products")
NONE_CHOICE = "(not in this file)"
FIELD_NONE = "(not used)"
_SPOOLED_KEY = "storelens_spooled_uploads"


@dataclass(frozen=True)
class ImportItem:
    """One file the user wants imported, with their corrections."""

    path: str
    file_name: str
    kind: str | None
    mapping: tuple[tuple[str, str], ...] = ()
    replace: bool = False  # undo earlier uploads of the same file in the import's transaction
    unpivot: bool = False  # a wide file's product columns become order lines


@dataclass(frozen=True)
class ImportResult:
    """What happened to one file: its report, or the one-sentence reason it was refused."""

    file_name: str
    report: IngestReport | None
    error: str | None


def save_upload(uploaded) -> Path:
    """Write an st.file_uploader file once per upload (reruns reuse it) as a 0600 file in this database's private
    upload folder, keeping its extension."""
    return spool_write(db_path(), str(getattr(uploaded, "file_id", "") or ""), uploaded.name, uploaded.getbuffer())


def discard_uploads_except(current: Iterable[str | Path]) -> int:
    """Delete the files this session spooled that its picker no longer holds (the user removed them: cancel)."""
    now = {str(p) for p in current}
    gone = set(st.session_state.get(_SPOOLED_KEY, ())) - now
    for p in gone:
        spool_remove(p)
    st.session_state[_SPOOLED_KEY] = now
    return len(gone)


def detect_upload(path: str | Path, file_name: str, kind: str | None = None,
                  mapping: dict[str, str] | None = None, unpivot: bool = False) -> Detection:
    """Format, kind and column mapping of an upload (IngestError when it cannot be used)."""
    return detect(path, kind=kind, mapping=mapping or None, file_name=file_name, unpivot=unpivot)


def kind_can_be_chosen(path: str | Path, file_name: str) -> bool:
    """True when the file is readable and only its kind is unclear (then the page asks the user for it)."""
    for kind in ("orders", "reviews"):
        try:
            detect(path, kind=kind, file_name=file_name)
            return True
        except IngestError:
            continue
    return False


def preview(det: Detection, n: int = 10) -> pd.DataFrame:
    """First rows of an upload under canonical column names, in the canonical order."""
    df = det.preview(n)
    order = [c for c in CANONICAL.get(det.kind or "", ()) if c in df.columns]
    return df[order + [c for c in df.columns if c not in order]]


def canonical_columns(kind: str) -> tuple[str, ...]:
    """Columns the mapping form offers for a kind."""
    return tuple(CANONICAL[kind])


def _norm(header: str) -> str:
    """Header comparison key used by the importer (case, BOM, quotes and spaces do not matter)."""
    return header.replace("\ufeff", "").strip().strip('"').strip().lower()


def header_choices(det: Detection) -> list[str]:
    """Options of every mapping select box: 'not in this file' then the file's headers (unique, in order)."""
    seen, out = set(), [NONE_CHOICE]
    for h in det.headers:
        if h and h not in seen:
            seen.add(h)
            out.append(h)
    return out


def mapped_header(det: Detection, canon: str) -> str:
    """The header the detection uses for a canonical column (the first of its sources), or NONE_CHOICE."""
    sources = det.mapping.get(canon) or ()
    for source in sources:
        for h in det.headers:
            if h and _norm(h) == source:
                return h
    return NONE_CHOICE


def user_mapping(det: Detection, choices: dict[str, str | None]) -> dict[str, str]:
    """The form's choices that differ from the detection, as the importer's {canonical: header} mapping.

    Unchanged columns are left out so the importer keeps its own multi-column fallbacks (e.g. Email, else Phone);
    '(not in this file)' becomes '' which unmaps the column.
    """
    out = {}
    for canon, choice in choices.items():
        if choice is None or choice == mapped_header(det, canon):
            continue
        out[canon] = "" if choice == NONE_CHOICE else choice
    return out


def column_table(det: Detection) -> list[dict]:
    """Every source column with up to three sample values, the field it feeds and the confidence."""
    return det.mapping_table()


def field_options(det: Detection) -> list[str]:
    """Options of each column's select box: 'not used', then the kind's fields."""
    return [FIELD_NONE, *CANONICAL[det.kind]]


def default_field(row: dict) -> str:
    """What the form shows before the user changes it: the applied field; low-confidence guesses stay blank."""
    if not row["applied"] or not row["field"] or row["field"].startswith("("):
        return FIELD_NONE
    return row["field"]


def confidence_label(row: dict) -> str:
    """The select box's label: the guess and its confidence, said plainly."""
    conf = row["confidence"]
    if row["field"] is None:
        return "no guess"
    if row["field"].startswith("("):
        return "product column (quantities)"
    if conf is None:
        return "guess"
    if not row["applied"]:
        return f"maybe {row['field']} ({conf:.0%}): left blank"
    return f"{conf:.0%} sure" + (": low, check it" if row["low"] else "")


def mapping_from_columns(det: Detection, choices: dict[int, str | None]) -> dict[str, str]:
    """The importer's {field: header} mapping from the form's per-column choices (keyed by column index; None is
    untouched). Nothing changed: {} (the importer keeps its own decision and fallbacks); otherwise every field is
    said explicitly, fields no column feeds as '' so they are not guessed again."""
    rows = column_table(det)
    chosen = {r["index"]: choices.get(r["index"]) or default_field(r) for r in rows}
    if all(chosen[r["index"]] == default_field(r) for r in rows):
        return {}
    out = {f: det.headers[i] for i, f in chosen.items() if f != FIELD_NONE}
    for f in CANONICAL[det.kind]:
        out.setdefault(f, "")
    return out


def import_files(items: list[ImportItem], progress: Callable[[float, str], None] | None = None) -> list[ImportResult]:
    """Import each file as its own transaction; a bad file is reported and the others still go in."""
    say = progress or (lambda f, m: None)
    results = []
    n = max(len(items), 1)
    for i, item in enumerate(items):
        def step(fraction: float, message: str, i: int = i) -> None:
            say(min(max((i + fraction) / n, 0.0), 1.0), message)

        try:
            report = ingest(store(), item.path, kind=item.kind, mapping=dict(item.mapping) or None,
                            progress=step, file_name=item.file_name, replace=item.replace,
                            unpivot=item.unpivot)
            results.append(ImportResult(item.file_name, report, None))
        except IngestError as exc:
            results.append(ImportResult(item.file_name, None, str(exc)))
        finally:
            path = Path(item.path)
            if path.parent == spool_dir(db_path()):  # the uploader is cleared after an import: drop our copy
                spool_remove(path)
    say(1.0, f"{len(items)} file(s) processed")
    if any(r.report and r.report.kind == "reviews" and (r.report.rows_loaded or r.report.rows_updated)
           for r in results):
        score_new_reviews_in_background()
    return results


def uploads() -> pd.DataFrame:
    """Upload history."""
    return cache.uploads(db_path(), data_version())


def rejected_rows(batch_id: str | None = None) -> pd.DataFrame:
    """Rejected rows of one upload (or all)."""
    return cache.rejected_rows(db_path(), data_version(), batch_id)


def rejected_csv(batch_id: str | None = None) -> bytes:
    """Rejected rows as a formula-safe CSV download (their raw lines are exactly what an attacker controls)."""
    return safe_csv_bytes(rejected_rows(batch_id))


def report_table(reports: Iterable[IngestReport]) -> pd.DataFrame:
    """One row of counts per imported file, as the page lists them (lines missing from the export included)."""
    columns = ["file", "format", "kind", "rows_read", "rows_loaded", "rows_updated", "rows_rejected",
               "rows_duplicate", "lines_missing", "rows_replaced", "batch_id"]
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in reports], columns=columns)


def missing_lines(batch_id: str) -> pd.DataFrame:
    """The stored order lines an upload's orders lacked: kept, listed so the merchant can check the export."""
    return cache.missing_lines(db_path(), data_version(), batch_id)


def missing_csv(batch_id: str) -> bytes:
    """Those lines as a formula-safe CSV download."""
    return safe_csv_bytes(missing_lines(batch_id))


MISSING_COLUMNS_SHOWN = {"order_id": "Order", "line_no": "Line", "order_ts": "Ordered", "product_id": "Product",
                         "product_name": "Product name", "quantity": "Quantity", "revenue": "Revenue",
                         "stored_by": "Stored by upload"}


# Rejected rows as the page shows them: row_number is the file's line (header = line 1), as an editor numbers it.
REJECTED_COLUMNS = {"row_number": "Line in file", "raw": "Line", "reason": "Reason", "source_file": "File",
                    "batch_id": "Batch"}


def result_message(report: IngestReport) -> tuple[bool, str]:
    """(success, sentence) for one imported file: a success only when the store changed."""
    counts = (f"{report.rows_loaded:,} rows loaded, {report.rows_updated:,} updated, "
              f"{report.rows_duplicate:,} duplicates skipped, {report.rows_rejected:,} rejected")
    if report.replaced:
        counts = f"replaced {report.rows_replaced:,} rows of the earlier upload: " + counts
    if report.changed:
        return True, f"{report.file}: {counts}."
    return False, (f"{report.file}: nothing changed ({counts}): every row was already stored or rejected. To import "
                   "it again with another mapping, correct the mapping and tick 'Replace'.")


def history() -> pd.DataFrame:
    """Every upload, newest first, as the history table shows it (the mapping as 'field = column' text)."""
    df = uploads()
    if df.empty:
        return pd.DataFrame(columns=["file", "format", "kind", "loaded", "updated", "rejected", "duplicate",
                                     "uploaded at (UTC)", "mapping", "batch_id"])
    info = [_info_row(r) for r in df.itertuples(index=False)]
    return pd.DataFrame({
        "file": df["file_name"], "format": df["format"], "kind": df["kind"], "loaded": df["rows_loaded"],
        "updated": df["rows_updated"], "rejected": df["rows_rejected"], "duplicate": df["rows_duplicate"],
        "uploaded at (UTC)": df["uploaded_at"], "mapping": [i.mapping_text() for i in info], "batch_id": df["batch_id"],
    })


def _info_row(row) -> UploadInfo:
    """An analytics.uploads row as UploadInfo (for its mapping text)."""
    import json

    try:
        mapping = json.loads(row.mapping) if isinstance(row.mapping, str) else {}
    except ValueError:
        mapping = {}
    return UploadInfo(row.batch_id, row.file_name, row.format, row.kind, row.rows_read, row.rows_loaded,
                      row.rows_updated, row.rows_rejected, row.rows_duplicate, row.uploaded_at, row.sha256,
                      mapping if isinstance(mapping, dict) else {})


def upload_label(batch_id: str) -> str:
    """How the undo picker names an upload: file, time, rows."""
    df = history()
    row = df[df["batch_id"] == batch_id]
    if row.empty:
        return batch_id
    r = row.iloc[0]
    at = r["uploaded at (UTC)"]
    when = pd.Timestamp(at).strftime("%Y-%m-%d %H:%M UTC") if pd.notna(at) else ""
    return f"{r['file']} ({r['kind']}, {when}, {int(r['loaded']):,} loaded) [{batch_id}]"


def undo_preview(batch_id: str) -> UndoReport:
    """What undoing an upload would take out, counted in a transaction that is rolled back."""
    return cache.undo_preview(db_path(), data_version(), sentiment_version(), batch_id)


def undo(batch_id: str) -> UndoReport:
    """Undo an upload (one transaction); every cached query follows, as the set of uploads changed.

    IngestError with one sentence when it cannot: the upload is gone already, or the database refused the
    transaction (a background job writing at the same moment); either way nothing was changed.
    """
    import duckdb

    try:
        return undo_upload(store(), batch_id)
    except duckdb.Error as exc:
        raise IngestError(f"The undo could not finish ({exc}); nothing was changed. Try again.") from exc


def earlier_upload(path: str | Path, det: Detection) -> tuple[UploadInfo | None, bool]:
    """The latest earlier upload of this very file (same sha256), and whether this mapping differs from its own."""
    stat = Path(path).stat()
    earlier = cache.earlier_uploads(db_path(), data_version(), str(path), stat.st_size, stat.st_mtime_ns)
    if not earlier:
        return None, False
    return earlier[0], mapping_differs(earlier[0], det)
