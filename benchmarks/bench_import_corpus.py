"""Import corpus benchmark: the real exports of ../shared/corpus/ imported with no --map, compared with the
mapping a careful analyst chose (MAPPINGS.json). Writes docs/benchmarks_corpus.md.

Per file: the kind found against the analyst's, the share of the analyst's fields filled from the analyst's
column (what the upload recorded, and that the database column holds values where the source does), and the
rows kept (loaded + duplicate) of the data rows read. The importer never sees MAPPINGS.json.

The files are split once, at random with a fixed seed (`HELD_OUT_SEED`), into a development part (the importer was
tuned on it) and a held-out part (measured last, never tuned on), reported separately, so that a figure that only
holds on the files the rules were written against shows. Every field the importer applied is also put in a
reliability table: how often a guess of each confidence is right (a field the analyst left out counts as wrong).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpus"
HELD_OUT_SEED, HELD_OUT_N = 31, 8  # drawn once (issue 31) and never redrawn: the held-out files stay unseen


def held_out(names: list[str]) -> set[str]:
    """The held-out files: `HELD_OUT_N` of the corpus drawn with `HELD_OUT_SEED` from the sorted names."""
    import random

    return set(random.Random(HELD_OUT_SEED).sample(sorted(names), HELD_OUT_N))


def _applied(report, expected: dict) -> list[tuple[float, bool]]:
    """(confidence, right) of every field the importer applied on its own (not from a platform format's header
    signature, which is not a guess): right when it is the analyst's column, wrong otherwise, including a field
    the analyst left out."""
    from engine.ingest import normalise_header

    out = []
    for field, entry in (report.mapping or {}).items():
        column = expected["map"].get(field)
        got = {normalise_header(c) for c in entry["column"].split(" / ")}
        out.append((entry["confidence"], column is not None and normalise_header(column) in got))
    return out


def _judge(store, report, expected: dict) -> tuple[int, int, list[str]]:
    """(fields right, fields expected, wrong field notes) for one upload."""
    from engine.ingest import normalise_header

    [(mapping_json,)] = store.con.execute("SELECT mapping FROM uploads WHERE batch_id = ?", [report.batch_id]).fetchall()
    mapping = json.loads(mapping_json or "{}")
    right, wrong = 0, []
    for field, column in expected["map"].items():
        got = mapping.get(field) or []
        ok = normalise_header(column) in got
        if ok and field != "order_id":  # values landed (an all-empty source column stays NULL)
            table = report.kind
            n = store.con.execute(f"SELECT count({field}) FROM {table} WHERE batch_id = ?", [report.batch_id]).fetchall()[0][0]
            ok = n > 0 or _empty_column(expected["_path"], column)
        right += ok
        if not ok:
            wrong.append(f"{field}: {', '.join(got) or 'not mapped'} (analyst: {column})")
    return right, len(expected["map"]), wrong


def _reasons(store, report) -> str:
    """The rejection reasons of an upload with their counts, for the table."""
    rows = store.con.execute(
        "SELECT reason, count(*) FROM rejected_rows WHERE batch_id = ? GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
        [report.batch_id]).fetchall()
    return (": " + "; ".join(f"{n:,} {reason[:60]}" for reason, n in rows)) if rows else ""


def _empty_column(path: Path, column: str) -> bool:
    """The analyst's column has no value in the file."""
    import csv

    csv.field_size_limit(1 << 28)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        delim = "\t" if path.suffix == ".tsv" else ","
        reader = csv.DictReader(fh, delimiter=delim)
        return not any((row.get(column) or "").strip() for row in reader)


def _part_total(label: str, t: dict) -> str:
    """One part's totals line."""
    return (f"**{label}** ({t['files']} files): fields right {t['right']}/{t['fields']} "
            f"({100 * t['right'] / max(t['fields'], 1):.0f}%, goal ≥ 95%); rows kept {t['kept']:,}/{t['sales']:,} "
            f"({100 * t['kept'] / max(t['sales'], 1):.1f}% of the rows that are sales, goal ≥ 97%; "
            f"{t['not_sale']:,} ledger rows set aside as 'not a sale', of {t['read']:,} read); kind right "
            f"{t['kind']}/{t['files']}; crashes {t['crash']}; wrong fields applied at confidence ≥ 0.8: "
            f"{t['wrong_hi']}.")


def main() -> None:
    """Import every corpus file into a fresh database and write the table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks_corpus.md")
    args = ap.parse_args()
    from engine.ingest import IngestError, ingest
    from engine.store import Store

    mappings = json.loads((args.corpus / "MAPPINGS.json").read_text())
    held = held_out(list(mappings))
    parts = {p: {"files": 0, "right": 0, "fields": 0, "kept": 0, "read": 0, "sales": 0, "not_sale": 0, "kind": 0,
                 "crash": 0, "wrong_hi": 0, "rows": [], "applied": []} for p in ("development", "held-out")}
    for name in sorted(mappings, key=lambda n: (n in held, n)):
        expected = mappings[name]
        part = parts["held-out" if name in held else "development"]
        part["files"] += 1
        expected["_path"] = args.corpus / name
        store = Store.open(":memory:")
        t = time.perf_counter()
        try:
            report = ingest(store, args.corpus / name)
            outcome = "ok"
        except IngestError as exc:
            report, outcome = None, f"exit 2: {exc}"
        except Exception:  # a crash is what this benchmark exists to catch
            report, outcome = None, "CRASH: " + traceback.format_exc(limit=1).strip().splitlines()[-1]
            part["crash"] += 1
        seconds = time.perf_counter() - t
        if report is None:
            part["rows"].append(f"| {name} | {expected['kind']} | - | 0/{len(expected['map'])} | - | {outcome} |")
            part["fields"] += len(expected["map"])
            store.close()
            continue
        right, n, wrong = _judge(store, report, expected)
        kept = report.rows_loaded + report.rows_duplicate
        not_sale = store.con.execute("SELECT count(*) FROM rejected_rows WHERE batch_id = ? AND "
                                     "starts_with(reason, 'not a sale')", [report.batch_id]).fetchall()[0][0]
        for key, value in (("right", right), ("fields", n), ("kept", kept), ("read", report.rows_read),
                           ("sales", report.rows_read - not_sale), ("not_sale", not_sale),
                           ("kind", report.kind == expected["kind"])):
            part[key] += value
        if report.format == "generic":
            applied = _applied(report, expected)
            part["applied"] += applied
            part["wrong_hi"] += sum(1 for c, ok in applied if c >= 0.8 and not ok)
        kind_ok = "yes" if report.kind == expected["kind"] else f"NO ({report.kind})"
        notes = "; ".join(wrong) or "all fields right"
        part["rows"].append(
            f"| {name} | {expected['kind']} | {kind_ok} | {right}/{n} ({100 * right / n:.0f}%) | "
            f"{kept:,}/{report.rows_read:,} ({100 * kept / max(report.rows_read, 1):.1f}%; "
            f"{report.rows_loaded:,} loaded, {report.rows_duplicate:,} duplicate, "
            f"{report.rows_rejected:,} rejected{_reasons(store, report)}) | {seconds:.2f} s; {notes} |")
        store.close()
    dev, out = parts["development"], parts["held-out"]
    lines = [
        "## Importing real exports with no --map (issue 31)",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Corpus: the {len(mappings)} files of "
        "`shared/corpus/` (real exports published by others; not in this repository), each imported into a fresh "
        "database with `engine.ingest.ingest(store, path)`, no kind, format or mapping given. Baseline: the "
        "analyst's mapping in `MAPPINGS.json`. A field is right when the upload's recorded mapping uses the "
        "analyst's column for it and the database column holds values (or the source column is empty in every row).",
        "",
        f"Split: {HELD_OUT_N} files drawn at random (Python `random.Random({HELD_OUT_SEED}).sample` of the sorted "
        "names) are held out: the importer's rules were developed on the other "
        f"{len(mappings) - HELD_OUT_N} and measured on these last. Held out: "
        + ", ".join(f"`{n}`" for n in sorted(held)) + ".",
        "",
    ]
    for label, part in (("Development", dev), ("Held out", out)):
        lines += [f"### {label}", "",
                  "| file | kind (analyst) | kind right? | fields right | rows kept (loaded + duplicate) / read "
                  "| notes |",
                  "|---|---|---|---|---|---|", *part["rows"], "", _part_total(label, part), ""]
    lines += ["### Reliability of the confidences", "",
              "Every field applied to a file that no platform format recognised, by its confidence: right is the "
              "analyst's column; a field the analyst left out counts as wrong.", "",
              "| confidence | development: right / applied | held out: right / applied |", "|---|---|---|"]
    for lo, hi in ((0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01)):
        cells = []
        for part in (dev, out):
            hits = [ok for c, ok in part["applied"] if lo <= c < hi]
            cells.append(f"{sum(hits)}/{len(hits)} ({100 * sum(hits) / len(hits):.0f}%)" if hits else "-")
        lines.append(f"| {lo:.1f}–{min(hi, 1.0):.1f} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "Rows read are the file's records (blank lines and repeated headers would count as rejected rows). A review "
        "id left unmapped means the importer found that column carrying different reviews under one value in the "
        "sample and hashed review ids from content instead (said in the import's warnings). Wide files load one "
        "order per row with its total unless `--unpivot` is given. A ledger's rows that are not sales (refunds, "
        "fees, transfers) are rejected as 'not a sale' on purpose: the rows-kept share is of the sales.",
        "",
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
