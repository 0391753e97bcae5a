"""The one read of an upload's bytes beside DuckDB's: its sha256, its line count and the cheap signs of lines DuckDB's
reader would skip or misread. Standard library only, so the CLI can start it in a child process before DuckDB loads."""

from __future__ import annotations

import atexit
import hashlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FIELD_LIMIT = 128 * 1024  # a cell longer than this rejects its line
_SCAN_BUFFER = 1 << 20  # read size of the byte scan: small enough to stay in cache while hashed and counted


@dataclass(frozen=True)
class _Found:
    """What one read of a file found."""

    hexdigest: str  # "" when no digest was asked for
    lines: int
    suspect: bool  # a NUL byte, the header line repeated, or a line over FIELD_LIMIT


class Scan:
    """A file's byte scan running beside the caller (a thread, or the CLI's child process); reading any result
    waits for it."""

    def __init__(self, path: Path, header: bytes | None, wait: Callable[[], _Found]) -> None:
        self.path = path
        self.header = header  # the header line searched for (no line end), None when not searched
        self._wait = wait
        self._found: _Found | None = None

    def join(self) -> _Found:
        """Wait for the read to finish."""
        if self._found is None:
            self._found = self._wait()
        return self._found

    @property
    def lines(self) -> int:
        """Lines in the file (a last line without a line end counts)."""
        return self.join().lines

    @property
    def suspect(self) -> bool:
        """Whether the file shows a sign of lines DuckDB's reader would skip or misread."""
        return self.join().suspect

    def sha256(self) -> str:
        """The file's sha256 ("" when the scan was not asked to hash)."""
        return self.join().hexdigest

    def has_blank_lines(self) -> bool:
        """Whether a blank line lies inside the body (DuckDB's reader skips those silently); a second read, so only
        asked when the line count exceeds the records read."""
        tail = b"\n"  # the header's own line end: a blank line right below it counts
        with open(self.path, "rb") as fh:
            fh.readline()  # the header itself
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                block = (tail + chunk).rstrip(b"\r\n")  # blank lines at the very end are no body lines
                if b"\n\n" in block or b"\n\r\n" in block:
                    return True
                tail = chunk[-2:]
        return False


def scan_thread(path: Path, header_line: bytes | None = None, digest: bool = False) -> Scan:
    """Start the scan of `path` on a thread (hashlib and file reads release the GIL)."""
    header = header_line.rstrip(b"\r\n") if header_line is not None else None
    box: list = []

    def run() -> None:
        try:
            box.append(_scan(path, header, digest))
        except BaseException as exc:  # handed to the waiting caller
            box.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()

    def wait() -> _Found:
        worker.join()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    return Scan(path, header, wait)


def scan_in_child(paths: list[Path]) -> list[Scan] | None:
    """Hashed scans of `paths`, one after another in one child process; None unless this process can fork safely.

    For a command line that has loaded nothing heavy yet: the child reads while the parent imports DuckDB and opens
    the database, and takes neither the parent's GIL nor, later, the cores DuckDB's reader runs on. A file the child
    gave no result for (it could not read it, or the child died) is scanned by the caller when asked.
    """
    if not _one_thread():
        return None
    headers = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                headers.append(fh.readline().removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n"))
        except OSError:
            headers.append(None)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one line per file, in order, then gone without running the parent's cleanup
        try:
            os.close(read_end)
            with os.fdopen(write_end, "w") as out:
                for path, header in zip(paths, headers):
                    try:
                        found = _scan(path, header, True)
                        out.write(f"{found.hexdigest} {found.lines} {int(found.suspect)}\n")
                    except OSError:
                        out.write("-\n")  # the caller's own read says why
                    out.flush()
        finally:
            os._exit(0)
    os.close(write_end)
    results = _ChildResults(pid, os.fdopen(read_end))
    return [Scan(path, header, lambda i=i, path=path, header=header: results.get(i) or _scan(path, header, True))
            for i, (path, header) in enumerate(zip(paths, headers))]


def _one_thread() -> bool:
    """Whether this process runs a single thread (as Linux reports it): a fork copies any lock another thread holds
    mid-use, so a process that has started DuckDB's or anyone's threads scans on a thread instead."""
    try:
        return hasattr(os, "fork") and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class _ChildResults:
    """The child's lines, read in order as they are asked for; the child is stopped if the command ends first."""

    def __init__(self, pid: int, stream) -> None:
        self.pid, self.stream, self.found = pid, stream, []
        atexit.register(self.stop)

    def get(self, i: int) -> _Found | None:
        """The i-th file's result, None when the child gave none."""
        while len(self.found) <= i:
            fields = self.stream.readline().split()  # "" once the child is gone
            self.found.append(_Found(fields[0], int(fields[1]), fields[2] == "1") if len(fields) == 3 else None)
        return self.found[i]

    def stop(self) -> None:
        """Stop the child if it is still reading, and reap it: the command is ending."""
        try:
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _scan(path: Path, header: bytes | None, digest: bool) -> _Found:
    """Read `path` once: its sha256 (when `digest`), its line count and, when `header` is given, the signs of bad
    lines."""
    sha = hashlib.sha256() if digest else None
    # A repeated header is the header at a line start followed by a line end: one search for its start.
    needle = b"\n" + header if header is not None else None
    carry = len(needle) + 1 if needle is not None else 0  # bytes kept for a needle that spans two reads
    half = FIELD_LIMIT // 2
    # One reused buffer (readinto), not a new bytes object per read: half the time of fh.read on a 124 MB file.
    buf = bytearray(_SCAN_BUFFER + carry)
    view = memoryview(buf)
    newlines, kept, last, suspect = 0, 0, ord("\n"), False
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(view[kept:]):
            end = kept + n
            if sha is not None:
                sha.update(view[kept:end])  # hashlib releases the GIL
            newlines += buf.count(b"\n", kept, end)
            last = buf[end - 1]
            if needle is not None and not suspect:
                # A line over FIELD_LIMIT spans a whole aligned window of half that size without a newline.
                suspect = buf.find(b"\x00", 0, end) >= 0 or _repeats(buf, needle, end) or any(
                    buf.find(b"\n", off, off + half) < 0 for off in range(0, end - half, half))
                kept = min(carry, end)
                buf[:kept] = buf[end - kept:end]
    return _Found(sha.hexdigest() if sha is not None else "", newlines + (last != ord("\n")), suspect)


def _repeats(buf: bytearray, needle: bytes, end: int) -> bool:
    """Whether `needle` (a line end and the header) lies in buf[:end] followed by a line end; one that ends the
    buffer is judged on the next read, which keeps the needle's bytes."""
    at = buf.find(needle, 0, end)
    while at >= 0:
        after = at + len(needle)
        if after < end and buf[after] in b"\r\n":
            return True
        at = buf.find(needle, at + 1, end)
    return False
