"""The stricter fallback reader: a line-by-line pass for files DuckDB's reader cannot take whole (a quote that is
never closed, blank lines, repeated header rows, NUL bytes, over-long cells). Good records go to a clean UTF-8
copy; each bad line becomes a rejected row with its line number and reason, so one bad line costs one row."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from ._bytescan import FIELD_LIMIT, Scan, scan_thread
from ._lines import LineNumbers
from ._sniff import csv_limit
from ._types import Detection

_JOIN_LINES = 200  # a quoted cell may span lines; an opening quote not closed within this many is malformed


def start_scan(det: Detection, copy: Path | None = None, early: Scan | None = None) -> Scan:
    """The one read of an upload that gives its sha256 and, when DuckDB reads the file itself (UTF-8), its lines
    and signs of bad lines. `early` is a scan the CLI started before it loaded DuckDB (`scan_in_child`), taken
    when it searched for this header; with `copy` (the UTF-8 copy of a transcoded upload), that copy is scanned
    for its lines instead, unhashed."""
    header = det.head.split("\n", 1)[0].encode("utf-8")
    if copy is not None:
        return scan_thread(copy, header)
    if early is not None and (det.encoding != "utf-8" or early.header == header.rstrip(b"\r\n")):
        return early
    return scan_thread(det.path, header if det.encoding == "utf-8" else None, digest=True)


def tolerant_copy(source: Path, det: Detection) -> tuple[Path, list[tuple[int, str, str, str]], list[int]]:
    """(clean copy, rejected lines as (line, raw, error type, message), the line each kept record starts on); the
    copy has the header and one quoted record per kept row."""
    csv_limit()
    n_cols = len(det.headers)
    header_cells = [h.strip() for h in det.headers]
    rejects: list[tuple[int, str, str, str]] = []
    starts: list[int] = []
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="storelens-clean-")
    os.fchmod(fd, 0o600)
    with open(source, encoding="utf-8-sig", errors="replace", newline="") as src, \
            os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
        lines = src.readlines()
        out = csv.writer(dst, delimiter=det.delimiter, quotechar="\"", quoting=csv.QUOTE_ALL, lineterminator="\n")
        out.writerow(det.headers)
        i = 1
        while i < len(lines):
            line = lines[i]
            number = i + 1
            if not line.strip("\r\n\t ,;|"):
                rejects.append((number, line.rstrip("\r\n"), "BLANK LINE", ""))
                i += 1
                continue
            if "\x00" in line:
                rejects.append((number, line.rstrip("\r\n").replace("\x00", ""), "NUL BYTE", ""))
                i += 1
                continue
            j, buf = i, line
            row = _parse(buf, det)
            while row is None and j + 1 < len(lines) and j - i < _JOIN_LINES and len(buf) <= FIELD_LIMIT:
                j += 1  # a quoted cell may hold line breaks: the record goes on
                buf += lines[j]
                row = _parse(buf, det)
            if row is None:
                rejects.append((number, line.rstrip("\r\n"), "UNBALANCED QUOTE", ""))
                i += 1
                continue
            raw = buf.rstrip("\r\n")
            if [c.strip() for c in row] == header_cells:
                rejects.append((number, raw, "REPEATED HEADER", ""))
            elif len(buf) > FIELD_LIMIT or any(len(c) > FIELD_LIMIT for c in row):
                rejects.append((number, raw[:1000], "FIELD TOO LONG", ""))
            elif len(row) != n_cols:
                kind = "TOO MANY COLUMNS" if len(row) > n_cols else "MISSING COLUMNS"
                rejects.append((number, raw, kind, f"found: {len(row)}"))
            else:
                out.writerow(row)
                starts.append(number)
            i = j + 1
    return Path(tmp), rejects, starts


def known_lines(con, starts: list[int]) -> LineNumbers:
    """Line numbers of the clean copy's records in the original file (temp table _linemap); the rejected lines
    already carry theirs."""
    con.execute("CREATE OR REPLACE TEMP TABLE _linemap AS SELECT unnest(range(?)) AS _rid, unnest(?::BIGINT[]) AS line",
                [len(starts), starts])
    return LineNumbers(False, starts, {})


def _parse(text: str, det: Detection) -> list[str] | None:
    """One record's cells, or None when the csv module finds it malformed."""
    try:
        if det.quote:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=det.delimiter, quotechar=det.quote,
                                   strict=True))
        else:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=det.delimiter, quoting=csv.QUOTE_NONE))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None
