"""Which format and kind a file is and how its columns map onto the contract's fields."""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
from pathlib import Path

from . import _formats as F
from ._infer import (CONFIDENT, REQUIRED_FLOOR, THRESHOLD, Inference, header_scores, infer, name_score, score,
                     split_header)
from ._profile import ColumnProfile, add_order_structure, profile_columns
from ._sniff import SAMPLE_ROWS, csv_limit, csv_reader, sample_rows, sniff
from ._types import FORMAT_NAMES, Detection, IngestError

# An orders or reviews export has tens of columns (Shopify's has 79). A file with more than this many, beside one
# column per product holding quantities (a POS export), is refused before it is mapped or read: nothing useful
# comes of it, and every step of an import grows with the number of columns.
MAX_COLUMNS = 2_000
_WORDS_SAMPLE = 500  # values of a column read to tell words from random text
# A guess from values alone (an id shared by many reviews is the product's): applied, never with high confidence.
SHARED_ID_CONFIDENCE = 0.55


def detect(
    path: str | Path,
    kind: str | None = None,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    file_name: str | None = None,
    unpivot: bool = False,
) -> Detection:
    """Recognise the export (format, kind, column mapping) from its header; user choices override."""
    path = Path(path)
    file_name = file_name or path.name
    if kind not in (None, "orders", "reviews", "products"):
        raise IngestError(f"--kind must be orders or reviews, not '{kind}'.")
    if fmt not in (None, *FORMAT_NAMES):
        raise IngestError(f"unknown --format '{fmt}'; known formats: {', '.join(FORMAT_NAMES)}.")
    encoding, delimiter, quote, headers, head = sniff(path, file_name)
    spec = next((s for s in F.FORMATS if s.name == fmt), None) if fmt else F.match_format(headers)
    if spec is not None and kind and spec.kind != kind:
        spec = None if not fmt else spec
    det = Detection(path, file_name, "generic", kind, delimiter, encoding, headers, {}, head=head, quote=quote,
                    unpivot=unpivot)
    if spec is not None:
        _refuse_too_wide(det, wide=0)
        det.format, det.kind, det.mapping = spec.name, spec.kind, dict(spec.mapping)
        if mapping:
            det.mapping = _apply_user_mapping(det.mapping, mapping, headers, det.kind, file_name)
        det.confidence = {f: 1.0 for f in det.mapping}
    else:
        _infer_generic(det, kind, mapping or {})
    present = {F.normalise_header(h) for h in headers}
    det.mapping = {k: v for k, v in ((k, tuple(s for s in v if s in present)) for k, v in det.mapping.items()) if v}
    missing = F.missing_required(det.mapping, det.kind)
    if det.format == "generic" and det.kind == "orders" and missing:
        missing = _without_waived(det, missing, asked=bool(mapping))
    det.missing = [" or ".join(g) for g in missing]
    return det


def _without_waived(det: Detection, missing: list[tuple[str, ...]], asked: bool) -> list[tuple[str, ...]]:
    """An inferred orders file without dates or without prices still loads, with those fields empty, when what it
    has says orders (an amount, or order ids with their products: a basket or point-of-sale log); the notes say
    which analyses it cannot feed. When the user mapped columns (`asked`, the --map or the Upload page's form) and
    the file has a column that could fill a missing field, they are asked for it instead: their mapping may simply
    have left it out."""
    m = det.mapping
    has_amount = bool(m.get("unit_price") or m.get("revenue"))
    basket = bool(m.get("order_id")) and bool(m.get("product_id") or m.get("product_name"))
    if not (has_amount or basket):
        return missing
    used = {s for sources in m.values() for s in sources}
    if asked and any(score(p, f) >= REQUIRED_FLOOR for g in missing for f in g
                     for p in det.profiles if p.norm not in used):
        return missing
    if "order_ts" not in m:
        det.notes.append("no order date column: orders load without dates, so there is no trend or forecast for "
                         "them; map one with --map order_ts=COLUMN if the file has one.")
    if not has_amount:
        det.notes.append("no price or amount column: orders load without revenue (recommendations and segments "
                         "by purchases work; revenue figures do not); map one with --map revenue=COLUMN if the "
                         "file has one.")
    return []


def _infer_generic(det: Detection, kind: str | None, user: dict[str, str]) -> None:
    """Kind and mapping of an unknown export from its values and header names; the user's --map is kept as is."""
    norms = [F.normalise_header(h) for h in det.headers]
    columns = sample_rows(det)
    profiles = profile_columns(det.headers, norms, columns)
    det.profiles = profiles
    _refuse_noise(det, profiles, columns)
    wide = _wide_columns(profiles)
    _refuse_too_wide(det, len(wide))
    kinds = (kind,) if kind else ("orders", "reviews")
    fixed_by_kind = {k: _apply_user_mapping({}, user, det.headers, k, det.file_name, strict=bool(kind))
                     for k in kinds}
    blocked = frozenset(f for f, source in user.items() if not source)  # "not in this file": never guessed
    wide_set = set(wide)
    results: dict[str, Inference] = {}
    for k in kinds:
        exclude = frozenset(p.index for p in profiles if p.norm in wide_set) if k == "orders" else frozenset()
        first = infer(profiles, k, fixed_by_kind[k], fill_required=not user, exclude=exclude,
                      blocked=blocked)
        if k == "orders" and first.mapping.get("order_id") and any(columns):
            order_col = norms.index(first.mapping["order_id"][0])
            add_order_structure(profiles, columns, order_col)
            first = infer(profiles, k, fixed_by_kind[k], fill_required=not user, exclude=exclude,
                      blocked=blocked)
        results[k] = first
    if kind:
        chosen = results[kind]
    else:
        complete = [r for r in results.values() if r.complete()]
        if user and _kind_from_map(user):
            complete = [results[_kind_from_map(user)]]
        if not complete:
            raise IngestError(
                f"cannot tell whether {det.file_name} holds orders or reviews from its columns "
                f"({', '.join(det.headers[:8])}{', ...' if len(det.headers) > 8 else ''}); "
                "choose whether it holds orders or reviews and confirm the column mapping "
                "(on the command line: --kind and --map)."
            )
        chosen = max(complete, key=Inference.strength)
    det.kind, det.mapping, det.confidence = chosen.kind, chosen.mapping, chosen.confidence
    det.suggestions, det.low = chosen.suggestions, frozenset(chosen.low)
    if det.kind == "orders":
        det.ledger = _ledger_column(det, profiles, columns)
        det.wide = tuple(wide)
        det.unpivot = det.unpivot and bool(wide)
    _check_ids(det, profiles, columns)
    unsure = [f for f in det.mapping if f not in det.low and f not in fixed_by_kind[det.kind]
              and det.confidence.get(f, 1.0) < CONFIDENT]
    if unsure:
        det.notes.append("guessed, check them: " + ", ".join(
            f"{f} = {det.source_headers(f)[0]!r} ({det.confidence[f]:.2f})" for f in unsure)
            + "; change any in the column mapping (on the command line: --map FIELD=COLUMN).")
    for f in sorted(det.low):
        det.notes.append(f"{f} = {', '.join(repr(h) for h in det.source_headers(f))} is a low-confidence guess "
                         f"({det.confidence[f]:.2f}): no better column was found; check it or map another in the column "
                         f"mapping (on the command line: --map {f}=COLUMN).")
    _separate_clock(det, profiles)


def _ledger_column(det: Detection, profiles: list[ColumnProfile], columns: list[tuple[str, ...]]) -> str:
    """The column that says what each row of a ledger is ('Express Checkout Payment', 'Payment Refund', 'General
    Withdrawal'), or ''. A payments export lists sales beside refunds, fees and transfers: taken whole, a refund
    counts as a sale. A column qualifies when it is not mapped, repeats a few values, and at least a third of its
    values name a ledger entry, of at least two sorts (a sale and something that is not)."""
    # A type column may have been taken as the category or status; any other mapped column is not it.
    used = {s for f, sources in det.mapping.items() if f not in ("category", "status") for s in sources}
    sale, other = re.compile(F.LEDGER_WORDS), re.compile(F.NOT_SALE)
    for p in profiles:
        if p.norm in used or not p.textual or p.distinct > 60 or p.distinct_ratio > 0.5 or not columns:
            continue
        values = [v.strip().lower() for v in columns[p.index] if v.strip()]
        if sum(1 for v in values if sale.search(v)) < len(values) / 3:
            continue
        kinds = {bool(other.search(v)) for v in set(values) if sale.search(v)}
        if kinds == {True, False}:
            if det.mapping.get("category") == (p.norm,):  # a ledger entry's sort is not the goods' category
                det.mapping.pop("category")
                det.confidence.pop("category", None)
            det.notes.append(f"{det.file_name} reads as a ledger: {p.header!r} says what each row is; rows that "
                             "are not sales (refunds, fees, transfers, holds, or no positive amount) are rejected "
                             "as 'not a sale'.")
            return p.norm
    return ""


def _refuse_too_wide(det: Detection, wide: int) -> None:
    """IngestError for a file with more columns than any export of orders or reviews, not counting `wide` product
    columns."""
    n = len(det.headers)
    if n - wide > MAX_COLUMNS:
        besides = f" ({wide:,} of them one column per product)" if wide else ""
        raise IngestError(
            f"{det.file_name} has {n:,} columns{besides}, more than the {MAX_COLUMNS:,} an export of orders or "
            "reviews could have beside its product columns; check that it is the right file, or export only the "
            "columns needed.")


def _refuse_noise(det: Detection, profiles: list[ColumnProfile], columns: list[tuple[str, ...]]) -> None:
    """IngestError for bytes that are not a table (random data, a binary file named .csv): most records of the head
    do not have the header's number of fields, and no column of those that do holds values of one kind. Either sign
    alone is not enough: real exports with mostly broken rows (commas in unquoted review text) still have a
    column of numbers, dates, repeated values or words, and real exports of free text alone have rows of the
    header's width. The profiles answer first; the head is read again for its rows' widths only when no column
    does."""
    if any(_one_kind(p) for p in profiles):
        return
    records, fitting = _record_widths(det)
    # No row of the header's width: nothing to judge the values by (rows that leave out empty trailing cells),
    # and the header alone decides the mapping.
    if not fitting or fitting >= 0.5 * records or any(_words(col) for col in columns):
        return
    raise IngestError(
        f"{det.file_name} does not read as a table: {records - fitting:,} of its first {records:,} rows do not have "
        f"the header's {len(det.headers):,} fields and no column holds values of one kind (numbers, dates or "
        "words); check that it is a CSV or TSV export of orders or reviews.")


def _one_kind(p: ColumnProfile) -> bool:
    """The column's values are alike: numbers, dates, clock times, flags, or values that repeat (categories,
    ids of a few products)."""
    if not p.filled:
        return False
    repeated = p.filled >= 10 and p.distinct_ratio <= 0.5
    return p.number >= 0.9 or p.date >= 0.9 or p.time_only >= 0.9 or p.flag or repeated


def _words(values: tuple[str, ...]) -> bool:
    """Most values are words: spaced apart, written in letters rather than digits, symbols or control characters
    (marks count: the vowel signs of Indic scripts), each word in one script (CJK with kana is one: Japanese mixes
    them). Random text drawn from several alphabets has spaces and letters too, but hardly a word in one script."""
    present = [v for v in (v.strip() for v in values[:_WORDS_SAMPLE]) if v]
    if not present or sum(1 for v in present if " " in v) < 0.5 * len(present):
        return False
    chars = [ch for v in present for ch in v if not ch.isspace()]
    if sum(1 for ch in chars if unicodedata.category(ch)[0] in "LM") < 0.7 * len(chars):
        return False
    scripts = [{_script(ch) for ch in token if unicodedata.category(ch)[0] == "L"}
               for v in present for token in v.split()]
    worded = [len(s) == 1 for s in scripts if s]
    return sum(worded) >= 0.8 * len(worded)


def _script(letter: str) -> str:
    """The script a letter belongs to, from its Unicode name ('LATIN SMALL LETTER E WITH ACUTE' -> 'LATIN')."""
    script = unicodedata.name(letter, "").split(" ", 1)[0]
    return "CJK" if script in ("HIRAGANA", "KATAKANA") else script


def _record_widths(det: Detection) -> tuple[int, int]:
    """(records, records with the header's number of fields) among the head's first rows, blank lines aside, read
    as `sample_rows` reads them."""
    csv_limit()
    text = det.head[: det.head.rfind("\n") + 1] if "\n" in det.head else det.head
    reader = csv_reader(io.StringIO(text, newline=""), det.delimiter, det.quote)
    next(reader, None)
    records = fitting = 0
    try:
        for row in itertools.islice(reader, SAMPLE_ROWS):
            if any(cell.strip() for cell in row):
                records += 1
                fitting += len(row) == len(det.headers)
    except csv.Error:
        pass  # a malformed line: the records before it are what can be judged
    return records, fitting


def _wide_columns(profiles: list[ColumnProfile]) -> list[str]:
    """Columns that look like one column per product holding quantities: at least four small whole-number columns
    that are mostly blank or zero and whose headers name no field."""
    cands: set[int] = set()
    for p in profiles:
        if not p.filled or not p.numeric or p.integer < 0.99 or (p.lo or 0) < 0 or (p.hi or 0) > 1000:
            continue
        blank = 1 - p.filled / max(p.rows, 1)
        if blank < 0.2 or p.letters > 0:
            continue
        if max(header_scores(p).get(f, 0.0) for f in F.CANONICAL["orders"]) >= THRESHOLD:
            continue
        cands.add(p.index)
    if len(cands) < 4:
        return []
    # Product columns with no sale in the sample sit among the others. (Indexes, not profiles, are looked up: a
    # profile compares field by field, and 5,000 product columns took 30 s.)
    lo, hi = min(cands), max(cands)
    return [p.norm for p in profiles if p.index in cands or (lo < p.index < hi and p.empty and p.rows)]


def _check_ids(det: Detection, profiles: list[ColumnProfile], columns: list[tuple[str, ...]]) -> None:
    """Keep an id guess only when the data agrees: a review id shared by different reviews is no review id (the
    reviews then get ids hashed from their content); an order id column empty in every row means one order per
    line; ids a spreadsheet turned into '1.01E+11' are flagged."""
    by_norm = {p.norm: p for p in profiles}

    src = det.mapping.get("review_id", (None,))[0]
    p = by_norm.get(src)
    # A header that says "review id" is taken at its word (rows that contradict it are rejected with a reason
    # that asks); a guessed id ('id', or one chosen by its values) must agree with the data.
    if det.kind == "reviews" and p is not None and det.confidence.get("review_id", 1) < 1.0 \
            and name_score(p.header, "review_id") < 1.0:
        body = [det.mapping.get(f, (None,))[0] for f in ("text", "title", "rating")]  # one review on several variants
        body_cols = [by_norm[b].index for b in body if b in by_norm]
        seen: dict[str, tuple] = {}
        clash = 0
        for r, rid in enumerate(columns[p.index] if columns else ()):
            rid = rid.strip()
            if not rid:
                continue
            content = tuple(re.sub(r"\s+", "", columns[c][r]) for c in body_cols)  # re-scraped line breaks
            if seen.setdefault(rid, content) != content:
                clash += 1
        if clash and clash >= 0.05 * max(p.filled, 1):
            header = det.source_headers("review_id")[0]
            det.notes.append(f"column {header!r} is shared by different reviews ({clash} in the first "
                             f"{p.rows} rows), so it is not a review id: review ids are hashed from each "
                             "review's content instead.")
            det.suggestions["review_id"] = (det.mapping.pop("review_id")[0], det.confidence.pop("review_id"))
            if "product_id" not in det.mapping and p.distinct_ratio <= 0.5:
                # An id that many reviews share is most often what they review (a scrape, product by product).
                det.mapping["product_id"], det.confidence["product_id"] = (p.norm,), SHARED_ID_CONFIDENCE
                det.notes.append(f"column {header!r} is read as the reviewed product's id (a guess, "
                                 f"{SHARED_ID_CONFIDENCE:.2f}): map another with --map product_id=COLUMN, or "
                                 "--map product_id= if it is not.")
    for f in ("order_id", "review_id", "product_id", "customer_id"):
        src = det.mapping.get(f, (None,))[0]
        p = by_norm.get(src)
        if p is None:
            continue
        if f == "order_id" and p.rows and p.empty:
            det.synthetic_order_id = True
            det.notes.append(f"column {det.source_headers(f)[0]!r} (order id) is empty in the first {p.rows} rows: "
                             "if it is empty throughout, each line is loaded as its own order; map another column "
                             "with --map order_id=COLUMN to group lines into orders.")
        if p.sci > 0:
            det.sci_ids = det.sci_ids | {src}
            det.notes.append(f"{round(p.sci * p.filled)} values of {det.source_headers(f)[0]!r} ({f}) look like ids "
                             "a spreadsheet turned into numbers such as '1.01E+11' (digits lost); they are treated "
                             "as missing" + (" and those reviews get content-hashed ids." if f == "review_id" else "."))
    if det.kind == "orders" and "order_id" not in det.mapping:
        det.synthetic_order_id = True
        det.notes.append("no order id column: each line is loaded as its own order; map one with "
                         "--map order_id=COLUMN to group lines into orders.")
    if det.wide:
        det.notes.append(f"{len(det.wide)} columns ({', '.join(repr(w) for w in det.wide[:4])}"
                         f"{', ...' if len(det.wide) > 4 else ''}) look like one column per product holding "
                         "quantities: " + ("they are unpivoted into order lines." if det.unpivot else
                                           "unpivot them to load them as order lines "
                                           "(--unpivot on the command line)."))


def _separate_clock(det: Detection, profiles: list[ColumnProfile]) -> None:
    """A date-only time field with a separate time-of-day column beside it ('Date', 'Time') takes both."""

    used = {s for sources in det.mapping.values() for s in sources}
    for f in ("order_ts", "review_ts"):
        if f not in det.mapping:
            continue
        for p in profiles:
            if p.norm in used or p.time_only < 0.9:
                continue
            if set(split_header(p.header).split()) & {"time", "hour", "uhrzeit", "heure", "hora", "saat", "时间"}:
                det.clock[f] = p.norm
                det.notes.append(f"{f} combines {det.source_headers(f)[0]!r} with the time of day in {p.header!r}.")
                break


def _kind_from_map(mapping: dict[str, str]) -> str | None:
    """Kind implied by the canonical names a user mapped (None when they fit either kind)."""
    fields = {f for f, source in mapping.items() if source}
    if fields & (set(F.CANONICAL["reviews"]) - set(F.CANONICAL["orders"])):
        return "reviews"
    if fields & (set(F.CANONICAL["orders"]) - set(F.CANONICAL["reviews"])):
        return "orders"
    return None


def _apply_user_mapping(
    base: dict[str, tuple[str, ...]], user: dict[str, str], headers: list[str], kind: str, file_name: str,
    strict: bool = True,
) -> dict[str, tuple[str, ...]]:
    """Overlay `canon=source` choices after checking both names exist (fields of another kind are skipped when
    the kind is still being decided)."""
    present = {F.normalise_header(h) for h in headers}
    out = dict(base)
    for canon, source in user.items():
        if canon not in F.CANONICAL[kind]:
            if not strict:
                continue
            raise IngestError(
                f"'{canon}' is not one of the {kind} columns; use one of: {', '.join(F.CANONICAL[kind])}."
            )
        if not source:
            out.pop(canon, None)
            continue
        if F.normalise_header(source) not in present:
            raise IngestError(
                f"column '{source}' (mapped to {canon}) is not in {file_name}; its columns are: "
                f"{', '.join(headers[:40])}{', ...' if len(headers) > 40 else ''}."  # one line, even for a wide file
            )
        out[canon] = (F.normalise_header(source),)
    return out
