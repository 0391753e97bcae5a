"""What an import decides and reports: the detection (format, kind, mapping), the report, bad-input errors."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import _formats as F

if TYPE_CHECKING:  # pandas loads only when a preview is asked for (the CLI's import starts faster)
    import pandas as pd

Progress = Callable[[float, str], None]
FORMAT_NAMES = tuple(spec.name for spec in F.FORMATS) + ("generic",)
DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 20
_FIELD_LABELS = {
    "order_id": "order id", "order_ts": "order date", "product_id": "product id", "product_name": "product name",
    "unit_price": "unit price", "revenue": "revenue", "text": "review text", "rating": "rating",
}


class IngestError(ValueError):
    """Bad input: the message is one sentence for the user naming the problem and what to do."""


def max_upload_bytes() -> int:
    """Upload limit in bytes, configurable with STORELENS_MAX_UPLOAD_MB (default 2048)."""
    return int(float(os.environ.get("STORELENS_MAX_UPLOAD_MB", "2048")) * 1024 * 1024)


@dataclass
class Detection:
    """What an upload looks like before it is imported: the user confirms or edits `mapping`."""

    path: Path
    file_name: str
    format: str
    kind: str | None
    delimiter: str
    encoding: str
    headers: list[str]
    mapping: dict[str, tuple[str, ...]]
    missing: list[str] = field(default_factory=list)
    typed: frozenset[str] = frozenset()  # columns DuckDB's reader already parsed (set during ingest)
    sample: list[tuple[str, ...]] | None = field(default=None, repr=False)  # head cells per column (ingest)
    head: str = field(default="", repr=False)  # the first ~1 MB, already read by the sniffer
    quote: str = '"'  # '' for files that use no quoting (quotes in cells are literal)
    confidence: dict[str, float] = field(default_factory=dict)  # per mapped field (1.0: format or --map)
    suggestions: dict[str, tuple[str, float]] = field(default_factory=dict)  # guesses below the threshold
    low: frozenset[str] = frozenset()  # required fields filled by a guess below the threshold
    profiles: list = field(default_factory=list, repr=False)  # ColumnProfile per source column (generic files)
    notes: list[str] = field(default_factory=list)  # what the importer decided that the user should know
    wide: tuple[str, ...] = ()  # product columns holding quantities (one column per product)
    unpivot: bool = False  # load `wide` as order lines
    synthetic_order_id: bool = False  # no usable order id column: each line is its own order
    clock: dict[str, str] = field(default_factory=dict)  # time field → a separate time-of-day column
    sci_ids: frozenset[str] = frozenset()  # id columns with spreadsheet-mangled values ('1.01E+11')
    ledger: str = ""  # a ledger's transaction-type column: only its sales load, the rest is rejected 'not a sale'
    line_starts: list[int] | None = field(default=None, repr=False)  # file line of each record (tolerant reader)

    @property
    def european(self) -> bool:
        """Semicolon-separated exports come from locales that write decimal commas and day-first dates."""
        return self.delimiter == ";"

    def preview(self, n: int = 20) -> pd.DataFrame:
        """First rows with canonical column names, as text, for the mapping form."""
        import pandas as pd

        rows = []
        with open(self.path, encoding=self.encoding if self.encoding != "utf-8" else "utf-8-sig",
                  errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            next(reader, None)
            for i, row in enumerate(reader):
                if i >= n:
                    break
                rows.append(row)
        index = {F.normalise_header(h): i for i, h in reversed(list(enumerate(self.headers)))}
        out = {}
        for canon, sources in self.mapping.items():
            idx = [index[s] for s in sources if s in index]
            out[canon] = [next((r[i] for i in idx if i < len(r) and r[i].strip()), "") for r in rows]
        return pd.DataFrame(out)

    def source_headers(self, canon: str) -> list[str]:
        """The file's own header names behind a canonical field, as messages quote them."""
        cols = column_refs(self)
        return [self.headers[int(cols[s][1:])] for s in self.mapping.get(canon, ()) if s in cols]

    def applied_mapping(self) -> tuple[dict[str, dict], list[str]]:
        """The contract's `mapping` (each applied field's source column, in the file's own header names, and its
        confidence 0-1) and `unmapped` (the fields whose best guess stayed below the threshold, left for the user)."""
        applied = {canon: {"column": " / ".join(self.source_headers(canon)),
                           "confidence": round(float(self.confidence.get(canon, 1.0)), 2)}
                   for canon in self.mapping if self.source_headers(canon)}
        return applied, sorted(f for f in self.suggestions if f not in applied)

    def mapping_summary(self) -> str:
        """Which column feeds which field, and which columns are not used, in the file's own header names."""
        used = {s for sources in self.mapping.values() for s in sources}
        order = {c: i for i, c in enumerate(F.CANONICAL.get(self.kind or "", ()))}
        pairs = ", ".join(f"{canon} = {' / '.join(repr(h) for h in self.source_headers(canon))}"
                          for canon in sorted(self.mapping, key=lambda c: order.get(c, 99)))
        unused = [repr(h) for h in self.headers if F.normalise_header(h) not in used]
        return f"{pairs}; not used: {', '.join(unused) or 'none'}"

    def _head_samples(self) -> dict[str, tuple[str, ...]]:
        """Up to three distinct values per column from the head, for a recognised format (its columns are mapped by
        the format, never profiled, yet the form still shows what each holds)."""
        from ._sniff import sample_rows  # _sniff builds on this module

        return {F.normalise_header(h): tuple(v for v in dict.fromkeys(col) if v.strip())[:3]
                for h, col in zip(self.headers, sample_rows(self))}

    def mapping_table(self) -> list[dict]:
        """Every source column with three sample values, the field it feeds (or the guess held back below the
        confidence threshold) and the confidence, for the CLI table and the mapping form."""
        by_col = {s: f for f, sources in self.mapping.items() for s in sources}
        held = {s: (f, c) for f, (s, c) in self.suggestions.items()}
        samples = {p.norm: p.samples for p in self.profiles} or self._head_samples()
        wide = set(self.wide)
        rows = []
        for i, h in enumerate(self.headers):
            norm = F.normalise_header(h)
            field_ = by_col.get(norm)
            if field_:
                conf, applied = self.confidence.get(field_, 1.0), True
            elif norm in held:
                field_, conf = held[norm]
                applied = False
            else:
                conf, applied = None, False
            if norm in wide:
                field_, conf, applied = "(product column: quantities)", None, self.unpivot
            rows.append({"index": i, "column": h, "samples": list(samples.get(norm, ())), "field": field_,
                         "confidence": conf, "applied": applied, "low": field_ in self.low})
        return rows


@dataclass
class IngestReport:
    """Per-file counts; rows_read == rows_loaded + rows_updated + rows_rejected + rows_duplicate.

    `replaced` names the earlier uploads of the same file that this import replaced (undone in its transaction) and
    `rows_replaced` counts the rows they had stored; `warnings` are what the import decided that the user should
    know (a guessed column, values loaded as NULL), in plain sentences. `lines_missing` counts the stored order
    lines of this file's orders that the file lacks: kept, and listed under this upload (`missing_lines`).
    """

    file: str
    format: str
    kind: str
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_rejected: int
    rows_duplicate: int
    batch_id: str
    replaced: list[str] = field(default_factory=list)
    rows_replaced: int = 0
    warnings: list[str] = field(default_factory=list)
    lines_missing: int = 0
    mapping: dict[str, dict] = field(default_factory=dict)  # field → {"column", "confidence"} as applied
    unmapped: list[str] = field(default_factory=list)  # fields guessed below the threshold: left for the user

    @property
    def changed(self) -> bool:
        """Whether the store holds anything new: a result without a change is never reported as a success."""
        return bool(self.rows_loaded or self.rows_updated or self.rows_replaced)

    def summary(self) -> str:
        """One line of counts for people (CLI, app): every row read is in exactly one of them."""
        parts = [f"read {self.rows_read:,}", f"loaded {self.rows_loaded:,}", f"updated {self.rows_updated:,}",
                 f"rejected {self.rows_rejected:,}", f"duplicate {self.rows_duplicate:,}"]
        text = ", ".join(parts)
        if self.replaced:
            text = (f"replaced {self.rows_replaced:,} rows of the earlier upload{'s' * (len(self.replaced) > 1)} "
                    f"{', '.join(self.replaced)}: " + text)
        if not self.changed:
            text += " - nothing changed: every row was already stored or rejected"
        return text

    def as_dict(self) -> dict:
        """The contract's JSON shape (plus the replace fields)."""
        return asdict(self)


def missing_message(det: Detection) -> str:
    """One sentence naming the required columns the mapping lacks and how to supply them."""
    named = ", ".join(
        " or ".join(f"{f} ({_FIELD_LABELS.get(f, f.replace('_', ' '))})" for f in group.split(" or "))
        for group in det.missing
    )
    first = det.missing[0].split(" or ")[0]
    return (
        f"{det.file_name} has no column for {named} in its {det.kind} mapping; "
        f"map one with --map {first}=COLUMN or pick it in the mapping form."
    )


def parse_map_arg(text: str | None) -> dict[str, str]:
    """Parse `--map canon=source,...` into {canon: source}."""
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        if not part.strip():
            continue
        if "=" not in part:
            raise IngestError(f"--map entry '{part.strip()}' is not of the form canonical=source_column.")
        canon, source = (s.strip() for s in part.split("=", 1))
        out[canon] = source
    return out


def column_refs(det: Detection) -> dict[str, str]:
    """Normalised header → engine column name (first occurrence wins)."""
    out: dict[str, str] = {}
    for i, h in enumerate(det.headers):
        out.setdefault(F.normalise_header(h), f"c{i}")
    return out
