"""Reading the head of a file: encoding, delimiter, quoting and header, before DuckDB reads the whole of it."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from . import _formats as F
from ._types import _DELIMITERS, _HEAD_BYTES, IngestError, max_upload_bytes


def _decode_head(head: bytes) -> tuple[str, str]:
    """(encoding, text) of the first bytes: UTF-8 (with or without BOM) or Windows-1252."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            return "utf-8", head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return "cp1252", head.decode("cp1252", errors="replace")


def _transcode(path: Path, encoding: str) -> Path:
    """UTF-8 copy of a non-UTF-8 file; each line is decoded as UTF-8 when it can be, else as `encoding`."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="storelens-")
    with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
        if encoding.startswith("utf-16"):
            dst.write(src.read().decode(encoding).lstrip("\ufeff"))
            return Path(tmp)
        for line in src:
            try:
                dst.write(line.decode("utf-8"))
            except UnicodeDecodeError:
                try:
                    dst.write(line.decode("cp1252"))
                except UnicodeDecodeError:
                    dst.write(line.decode("latin-1"))
    return Path(tmp)


def _sniff(path: Path, file_name: str) -> tuple[str, str, list[str], str]:
    """(encoding, delimiter, headers, first ~1 MB as text), or IngestError for files that are not CSV/TSV."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"{file_name} cannot be read ({exc.strerror}); check the path.") from exc
    if size == 0:
        raise IngestError(f"{file_name} is empty; export the data again and upload the new file.")
    if size > max_upload_bytes():
        raise IngestError(
            f"{file_name} is {size / 2**20:.0f} MB, over the {max_upload_bytes() / 2**20:.0f} MB upload limit; "
            "split the export by date range or raise STORELENS_MAX_UPLOAD_MB."
        )
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
        text = head.decode("utf-16", errors="replace").lstrip("\ufeff")
    elif b"\x00" in head[:8192] or head[:4] in (b"PK\x03\x04", b"%PDF") or head[:2] == b"\x1f\x8b":
        raise IngestError(
            f"{file_name} is not a CSV or TSV file (it contains binary data, e.g. a spreadsheet or archive); "
            "save it as CSV and upload that."
        )
    else:
        encoding, text = _decode_head(head)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        raise IngestError(
            f"{file_name} does not look like a CSV or TSV file (no comma, semicolon, tab or pipe separates "
            "the header); export it as CSV."
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    headers = [h.replace("\ufeff", "").strip() for h in next(reader, [])]
    if not any(any(cell.strip() for cell in row) for row in reader):
        raise IngestError(f"{file_name} has a header but no data rows; export a date range that has data.")
    if len(set(F.normalise_header(h) for h in headers if h)) < 2:
        raise IngestError(f"{file_name} has fewer than two named columns; check that it is a data export.")
    return encoding, delimiter, headers, text


def _count_outside_quotes(line: str, delim: str) -> int:
    """Delimiter count in a header line, ignoring quoted parts."""
    inside, n = False, 0
    for ch in line:
        if ch == '"':
            inside = not inside
        elif ch == delim and not inside:
            n += 1
    return n
