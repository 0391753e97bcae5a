"""Reading the head of a file: encoding, delimiter, quoting and header, before DuckDB reads the whole of it."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from . import _formats as F
from ._types import DELIMITERS, HEAD_BYTES, IngestError, max_upload_bytes

_CANDIDATE_ENCODINGS = ["gb18030", "shift_jis", "euc_kr", "big5", "cp1252", "cp1251", "cp1250", "iso8859_9"]
SAMPLE_ROWS = 5_000  # rows of the head the profiler and the fast-path checks read


def csv_limit() -> None:
    """Let Python's csv module read cells as long as DuckDB does (its default 128 KiB limit raised exit 1)."""
    csv.field_size_limit(1 << 28)


def _decode_head(head: bytes) -> tuple[str, str]:
    """(encoding, text) of the first bytes: UTF-8 (with or without BOM), else what charset-normalizer finds among
    the encodings merchants' tools write (GB18030, Shift-JIS, EUC-KR, Big5, Windows-125x), else Windows-1252."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    for cut in range(4):  # the sample may end inside a multi-byte character
        try:
            return "utf-8", head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(head[: 1 << 18], cp_isolation=_CANDIDATE_ENCODINGS).best()
    encoding = best.encoding if best is not None else "cp1252"
    if encoding in ("cp1250", "iso8859_9", "cp1251") and _mostly_western(head):
        encoding = "cp1252"  # short Western samples are often a tie; cp1252 is what spreadsheets write
    return encoding, head.decode(encoding, errors="replace")


def _mostly_western(head: bytes) -> bool:
    """High bytes that cp1252 decodes to Latin letters (é, ü, ñ ...) rather than symbols."""
    high = [b for b in head if b >= 0x80]
    if not high:
        return True
    text = bytes(high).decode("cp1252", errors="replace")
    return sum(ch.isalpha() for ch in text) >= 0.6 * len(text)


def _utf16_text(path: Path, encoding: str, file_name: str) -> Iterator[str]:
    """The text of a UTF-16 file a megabyte at a time. UTF-16 has no per-line fallback (a line's bytes are not
    known before it is decoded), so bytes that are not UTF-16 (a byte-order mark in front of UTF-8 or Windows-1252
    text, a broken or cut-off character) make the file bad input: IngestError with one sentence."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        try:
            while block := fh.read(1 << 20):
                yield decoder.decode(block)
            yield decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise _not_utf16(file_name, exc.reason) from exc


def _not_utf16(file_name: str, why: str) -> IngestError:
    """The one sentence for a file whose byte-order mark says UTF-16 and whose bytes say otherwise."""
    return IngestError(f"{file_name} starts with a UTF-16 byte-order mark but holds bytes that are not UTF-16 text "
                       f"({why}); save it again as UTF-8 CSV and upload that.")


def transcode(path: Path, encoding: str) -> Path:
    """UTF-8 copy of a non-UTF-8 file; each line is decoded as UTF-8 when it can be, else as `encoding` (a UTF-16
    file as a whole); the copy is removed again when the file turns out to be unreadable."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="storelens-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            if encoding.startswith("utf-16"):
                for i, text in enumerate(_utf16_text(path, encoding, path.name)):
                    dst.write(text if i else text.lstrip("\ufeff"))
                return Path(tmp)
            with open(path, "rb") as src:
                for line in src:
                    try:
                        dst.write(line.decode("utf-8"))
                    except UnicodeDecodeError:
                        try:
                            dst.write(line.decode(encoding))
                        except (UnicodeDecodeError, LookupError):
                            dst.write(line.decode("latin-1"))
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def sniff(path: Path, file_name: str) -> tuple[str, str, str, list[str], str]:
    """(encoding, delimiter, quote, headers, first ~1 MB as text), or IngestError for files that are not CSV/TSV."""
    csv_limit()
    try:
        info = path.stat()
    except OSError as exc:
        raise IngestError(f"{file_name} cannot be read ({exc.strerror}); check the path.") from exc
    if stat.S_ISDIR(info.st_mode):
        raise IngestError(f"{file_name} is a folder, not a file; give the path of the export file itself.")
    if not stat.S_ISREG(info.st_mode):  # a pipe or device is read once, and an import reads the file several times
        raise IngestError(f"{file_name} is not a regular file (it is a pipe, device or socket); save the data to a "
                          "file and upload that.")
    size = info.st_size
    if size == 0:
        raise IngestError(f"{file_name} is empty; export the data again and upload the new file.")
    if size > max_upload_bytes():
        raise IngestError(
            f"{file_name} is {size / 2**20:.0f} MB, over the {max_upload_bytes() / 2**20:.0f} MB upload limit; "
            "split the export by date range or raise STORELENS_MAX_UPLOAD_MB."
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise IngestError(f"{file_name} cannot be read ({exc.strerror}); check the file's permissions.") from exc
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        if len(head) > 2 and b"\x00" not in head[2:8192]:  # in UTF-16 every comma and line break has a zero byte
            raise _not_utf16(file_name, "its commas and line breaks are single bytes")
        encoding = "utf-16"
        for _ in _utf16_text(path, encoding, file_name):  # the whole file, so a bad one is refused before any import
            pass
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").lstrip("\ufeff")
    elif (head[:8192].count(b"\x00") > 0.01 * len(head[:8192]) or head[:4] in (b"PK\x03\x04", b"%PDF")
          or head[:2] == b"\x1f\x8b"):
        # A stray NUL byte is one bad line; many of them mean a binary file.
        raise IngestError(
            f"{file_name} is not a CSV or TSV file (it contains binary data, e.g. a spreadsheet or archive); "
            "save it as CSV and upload that."
        )
    else:
        encoding, text = _decode_head(head)
    if not text.strip() and size <= len(head):
        raise IngestError(f"{file_name} holds no data (only a byte-order mark or blank lines); export the data again "
                          "and upload the new file.")
    first = next((ln for ln in _first_lines(text, 50) if ln.strip()), "") or next(
        (ln for ln in text.splitlines() if ln.strip()), "")
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    delimiter = max(counts, key=counts.get)
    if counts[delimiter] == 0:
        raise IngestError(
            f"{file_name} does not look like a CSV or TSV file (no comma, semicolon, tab or pipe separates "
            "the header); export it as CSV."
        )
    quote = _quote_char(text, delimiter)
    reader = csv_reader(io.StringIO(text, newline=""), delimiter, quote)
    try:
        headers = [h.replace("\ufeff", "").strip() for h in next(reader, [])]
        has_rows = any(any(cell.strip() for cell in row) for row in reader)
    except csv.Error:  # a malformed line in the head: the header itself came first
        headers = [h.replace("\ufeff", "").strip() for h in first.split(delimiter)]
        has_rows = len(text.splitlines()) > 1
    if not has_rows:
        raise IngestError(f"{file_name} has a header but no data rows; export a date range that has data.")
    if len(set(F.normalise_header(h) for h in headers if h)) < 2:
        raise IngestError(f"{file_name} has fewer than two named columns; check that it is a data export.")
    return encoding, delimiter, quote, headers, text


def csv_reader(fh, delimiter: str, quote: str):
    """csv.reader for the file's dialect ('' quote: quotes are literal characters)."""
    if quote:
        return csv.reader(fh, delimiter=delimiter, quotechar=quote)
    return csv.reader(fh, delimiter=delimiter, quoting=csv.QUOTE_NONE)


def _first_lines(text: str, n: int) -> list[str]:
    """text.splitlines()[:n], splitting only the part that holds them (a megabyte head has some 10,000 lines)."""
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return text.splitlines()[:n]
    return text[: end + 1].splitlines()[:n]


def _quote_char(text: str, delimiter: str) -> str:
    """'"' unless the file reads better without quoting (Amazon's review TSVs keep quotes as literal text)."""
    if '"' not in text:
        return '"'
    sample = text[: text.rfind("\n") + 1] if "\n" in text else text
    lines = _first_lines(sample, 500)
    if len(lines) < 3:
        return '"'
    n = len(next(csv.reader([lines[0]], delimiter=delimiter), []))
    plain = sum(1 for ln in lines[1:] if ln.count(delimiter) + 1 == n)
    try:
        quoted = sum(1 for row in itertools.islice(csv.reader(io.StringIO("\n".join(lines[1:])), delimiter=delimiter),
                                                   len(lines)) if len(row) == n)
    except csv.Error:
        quoted = 0
    # Quoting shows as cells wrapped in quotes; without any, quotes are literal text.
    starts = any(len(cell) > 1 and cell[0] == cell[-1] == '"' for ln in lines for cell in ln.split(delimiter))
    return "" if plain == len(lines) - 1 and (quoted < plain or not starts) else '"'


def sample_rows(det) -> list[tuple[str, ...]]:
    """Cells of the sniffed head's first rows, per column (a cut last line and ragged rows are dropped, as the
    reader rejects them); parsed once per import."""
    if det.sample is None:
        csv_limit()
        text = det.head[: det.head.rfind("\n") + 1] if "\n" in det.head else det.head
        reader = csv_reader(io.StringIO(text, newline=""), det.delimiter, det.quote)
        next(reader, None)
        rows = []
        try:
            for r in itertools.islice(reader, SAMPLE_ROWS):
                if len(r) == len(det.headers):
                    rows.append(r)
        except csv.Error:
            pass  # a malformed line: the rows before it are the sample
        det.sample = list(zip(*rows)) if rows else [() for _ in det.headers]
    return det.sample


def _count_outside_quotes(line: str, delim: str) -> int:
    """Delimiter count in a header line, ignoring quoted parts."""
    inside, n = False, 0
    for ch in line:
        if ch == '"':
            inside = not inside
        elif ch == delim and not inside:
            n += 1
    return n
