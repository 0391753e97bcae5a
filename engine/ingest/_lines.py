"""Line numbers as an editor shows them (header = line 1, a quoted multi-line cell counts each of its lines, blank
lines count), for rejected rows: DuckDB numbers records, not lines, and skips blank lines without a record."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class LineNumbers:
    """Where each record of a file starts; `plain` files (one record per line, no blank line) need no table."""

    plain: bool
    good: list[int]  # the start line of each record DuckDB read, by _rid
    by_record: dict[int, int]  # DuckDB's record number (its rejects' `line`) -> start line

    def rid_sql(self, rid: str) -> str:
        """SQL for the line of source row `rid` (fast files), or a lookup in the temp table `_linemap`."""
        return f"{rid} + 2" if self.plain else f"(SELECT m.line FROM _linemap m WHERE m._rid = {rid})"

    def of_record(self, record: int) -> int:
        """The start line of a record DuckDB rejected while reading."""
        return self.by_record.get(record, record)


def line_numbers(con, source: Path, delimiter: str, n_lines: int, n_good: int, structural_records: list[int]
                 ) -> LineNumbers:
    """The line numbers of `source`'s records; scans the file only when records and lines differ.

    `n_lines` is the file's line count (from the sha256 pass), `n_good` the records DuckDB read and
    `structural_records` the record numbers of those it could not split.
    """
    if n_lines == 1 + n_good + len(structural_records):
        return LineNumbers(True, [], {})
    starts = _record_starts(source, delimiter)
    broken = set(structural_records)
    good = [line for record, line in starts if record not in broken]
    if len(good) != n_good:  # the csv module split the file differently: keep DuckDB's record numbers
        return LineNumbers(True, [], {})
    con.execute("CREATE OR REPLACE TEMP TABLE _linemap AS SELECT unnest(range(?)) AS _rid, unnest(?::BIGINT[]) AS line",
                [len(good), good])
    return LineNumbers(False, good, dict(starts))


def _record_starts(source: Path, delimiter: str) -> list[tuple[int, int]]:
    """(DuckDB record number, start line) of every non-blank record after the header."""
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # DuckDB reads lines up to 16 MB
    try:
        out = []
        with open(source, encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True)
            end = 0  # the physical line the previous record ended on
            for index, row in enumerate(reader):
                start, end = end + 1, reader.line_num
                if index and row:  # DuckDB counts blank lines as records it skips
                    out.append((index + 1, start))
        return out
    finally:
        csv.field_size_limit(limit)
