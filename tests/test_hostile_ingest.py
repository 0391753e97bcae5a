"""Issue 29, hostile shapes: a file with 20,000 columns is answered in seconds (header matching looks synonyms up
instead of comparing every header with every synonym), and bytes that are not a table (random data, random text,
an image or an archive named .csv) are refused with exit 2, one sentence and nothing written, while a messy real
export (most rows broken, or only free text) still imports. Every file is generated; the real command line runs
in a child process, as a user runs it."""

from __future__ import annotations

import io
import json
import os
import random
import string
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def storelens(path: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    """`storelens ingest FILE --db DB --json` in a child process, with stdout and stderr as text."""
    env = dict(os.environ, STORELENS_NO_DEMO="1")
    env.pop("STORELENS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine.cli", "ingest", str(path), "--db", str(db), "--json", *args],
                          capture_output=True, cwd=ROOT, env=env, text=True, errors="replace", timeout=300)


def uploads_in(db: Path) -> int:
    """Uploads stored in `db` (0 when the command never created it)."""
    if not db.exists():
        return 0
    from engine.store import Store

    store = Store.open(db, read_only=True)
    try:
        return store.con.execute("SELECT count(*) FROM uploads").fetchall()[0][0]
    finally:
        store.close()


def refused(out: subprocess.CompletedProcess, db: Path) -> str:
    """The one sentence of a refusal (exit 2, nothing on stdout, nothing stored)."""
    assert out.returncode == 2, out.stderr
    assert out.stdout == "" and out.stderr.endswith("\n") and out.stderr.count("\n") == 1, out.stderr
    assert uploads_in(db) == 0
    return out.stderr


def _wide(path: Path, columns: int, rows: int = 5) -> Path:
    """A file of `columns` columns of numbers, as a mangled pivot table or a sensor log exports."""
    rng = random.Random(columns)
    lines = [",".join(f"col{i}" for i in range(columns))]
    lines += [",".join(str(rng.randint(0, 999)) for _ in range(columns)) for _ in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_file_with_20000_columns_is_refused_within_seconds(tmp_path):
    path, db = _wide(tmp_path / "wide.csv", 20_000), tmp_path / "shop.duckdb"
    start = time.perf_counter()
    out = storelens(path, db)
    seconds = time.perf_counter() - start
    assert "wide.csv has 20,000 columns, more than the 2,000" in refused(out, db)
    assert seconds < 10, seconds  # it took 109 s; about 1 s here, with the interpreter's start


def test_a_file_under_the_column_limit_is_still_mapped(tmp_path):
    # 1,000 unnamed number columns: read and scored (no longer pairwise), then refused for what they hold.
    path, db = _wide(tmp_path / "wide.csv", 1_000), tmp_path / "shop.duckdb"
    assert "cannot tell whether wide.csv holds orders or reviews" in refused(storelens(path, db), db)


def test_a_pos_export_with_a_column_per_product_beyond_the_limit_still_imports(tmp_path):
    # 2,500 product columns holding quantities (mostly blank) are a POS export, not too wide a file.
    rng = random.Random(7)
    products = 2_500
    lines = ["order_id,datetime,total," + ",".join(f"Pastry {i}" for i in range(products))]
    sold = 0
    for k in range(20):
        qty = [rng.choice(["", "", "", "", "", "", "", "1", "2"]) for _ in range(products)]
        sold += sum(1 for q in qty if q)
        lines.append(f"A{k},2024-03-{k + 1:02d} 10:00,{10 + k}.50," + ",".join(qty))
    path, db = tmp_path / "pos.csv", tmp_path / "shop.duckdb"
    path.write_text("\n".join(lines) + "\n")
    out = storelens(path, db, "--unpivot")
    assert out.returncode == 0, out.stderr
    [report] = json.loads(out.stdout)["files"]
    assert (report["kind"], report["rows_read"], report["rows_loaded"]) == ("orders", 20, 20)
    from engine.store import Store

    store = Store.open(db, read_only=True)
    try:  # one order line per product sold
        assert store.con.execute("SELECT count(*), count(DISTINCT order_id) FROM orders").fetchall() == [(sold, 20)]
    finally:
        store.close()


def test_a_rejected_row_of_a_wide_pos_export_is_kept_with_its_line(tmp_path):
    # 1,200 product columns and one unreadable date: the rejected row's raw line is re-assembled from every cell.
    products = 1_200
    lines = ["order_id,datetime,total," + ",".join(f"Pastry {i}" for i in range(products))]
    for k in range(12):
        qty = ["1" if i % 97 == k else "" for i in range(products)]
        day = "someday" if k == 5 else f"2024-03-{k + 1:02d} 10:00"
        lines.append(f"A{k},{day},{10 + k}.50," + ",".join(qty))
    path, db = tmp_path / "pos.csv", tmp_path / "shop.duckdb"
    path.write_text("\n".join(lines) + "\n")
    out = storelens(path, db, "--unpivot")
    assert out.returncode == 0, out.stderr
    [report] = json.loads(out.stdout)["files"]
    assert (report["rows_loaded"], report["rows_rejected"]) == (11, 1)
    from engine.store import Store

    store = Store.open(db, read_only=True)
    try:
        [(line, raw)] = store.con.execute("SELECT row_number, raw FROM rejected_rows").fetchall()
        assert line == 7 and raw == lines[6]
    finally:
        store.close()


def _png(rng: random.Random) -> bytes:
    """A small valid PNG of noise."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + rng.randbytes(300) for _ in range(100))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100, 100, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _zip(rng: random.Random) -> bytes:
    """A zip archive of random bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.bin", rng.randbytes(100_000))
    return buf.getvalue()


def _printable(rng: random.Random) -> bytes:
    """Random printable ASCII with commas and line breaks among it."""
    alphabet = string.ascii_letters + string.digits + string.punctuation + " " * 5 + "," * 8 + "\n" * 2
    return "".join(rng.choices(alphabet, k=1 << 20)).encode()


def _utf8_lines(rng: random.Random) -> bytes:
    """Lines of random letters from several scripts (Latin, Han, Cyrillic) and ASCII punctuation."""
    chars = [chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x4E00, 0x4F00), *range(0x400, 0x460))]
    return "\n".join("".join(rng.choices(chars, k=rng.randint(5, 120))) for _ in range(8000)).encode()


# Each form, and the sentence it gets: one of the importer's early checks, or, when the bytes happen to parse as a
# header and rows, "does not read as a table" from the rows' widths and values.
NOISE = {
    "random_bytes": (lambda rng: rng.randbytes(1 << 20), 0, "does not read as a table"),  # 262 "reviews" before
    "random_bytes_2": (lambda rng: rng.randbytes(1 << 20), 6, "does not read as a table"),
    "random_printable": (_printable, 1, "does not read as a table"),
    "random_utf8_lines": (_utf8_lines, 10, "does not read as a table"),
    "png": (_png, 1, "does not look like a CSV or TSV file"),
    "zip": (_zip, 1, "is not a CSV or TSV file"),
}


@pytest.mark.parametrize("form", sorted(NOISE))
def test_noise_is_refused_as_not_a_table_and_nothing_is_written(tmp_path, form):
    make, seed, says = NOISE[form]
    path, db = tmp_path / "export.csv", tmp_path / "shop.duckdb"
    path.write_bytes(make(random.Random(seed)))
    line = refused(storelens(path, db), db)
    assert says in line
    if says == "does not read as a table":
        assert "rows do not have the header's" in line and "no column holds values of one kind" in line


def test_messy_real_exports_are_not_taken_for_noise(tmp_path):
    # Most rows broken by commas in unquoted review text, but the ratings are numbers: the good rows import.
    rows = [f"{'Great, really great' if i % 4 else 'ok'},{i % 5 + 1}" for i in range(40)]
    broken, db = tmp_path / "unquoted.csv", tmp_path / "shop.duckdb"
    broken.write_text("review,rating\n" + "\n".join(rows) + "\n")
    out = storelens(broken, db)
    assert out.returncode == 0, out.stderr
    [report] = json.loads(out.stdout)["files"]
    assert (report["kind"], report["rows_loaded"], report["rows_rejected"]) == ("reviews", 10, 30)

    # Free text alone, all of it different, most rows broken by unquoted commas: the words say it is a table, and
    # the good rows import.
    rng = random.Random(3)
    words = ["strap", "broke", "lovely", "colour", "fits", "well", "arrived", "late", "would", "buy", "again"]
    lines = [f"{' '.join(rng.choices(words, k=3)).title()} {i},{' '.join(rng.choices(words, k=8))}"
             + (", " + " ".join(rng.choices(words, k=5)) if i % 3 else "") for i in range(30)]
    prose = tmp_path / "prose.csv"
    prose.write_text("title,review text\n" + "\n".join(lines) + "\n")
    out = storelens(prose, db)
    assert out.returncode == 0, out.stderr
    [report] = json.loads(out.stdout)["files"]
    assert (report["rows_loaded"], report["rows_rejected"]) == (10, 20)

    # Free text alone (nothing numeric, every value different) in rows of the header's width.
    lines = [f'"{" ".join(rng.choices(words, k=4)).title()}","{" ".join(rng.choices(words, k=25))}, {i}"'
             for i in range(60)]
    text_only = tmp_path / "titles.csv"
    text_only.write_text("title,review text\n" + "\n".join(lines) + "\n")
    out = storelens(text_only, db)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["files"][0]["rows_loaded"] == 60
