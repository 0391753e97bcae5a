"""The upload's byte scan: in a child process (the CLI, before DuckDB loads) it finds what the thread scan finds,
and `storelens ingest` run as a user runs it gets the same rows, reasons and sha256."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from engine.ingest import detect, scan_in_child, start_scan
from engine.ingest._bytescan import scan_thread

ROOT = Path(__file__).resolve().parent.parent
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"


def _python(code: str, *args: str) -> str:
    """Run `code` in a fresh interpreter (one thread, nothing loaded): stdout."""
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=ROOT)
    return out.stdout


def _files(tmp_path: Path) -> list[Path]:
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + "\n" + "".join(f"5{i},A{i},Mug,1,2011-01-0{1 + i % 9} 10:00,2.5,17850,UK\n"
                                             for i in range(50)))
    repeated = tmp_path / "repeated.csv"  # the header again inside the body, CRLF line ends, no final line end
    repeated.write_bytes(f"{HEADER}\r\n1,A,Mug,1,2011-01-01 10:00,2.5,1,UK\r\n{HEADER}\r\n2,B,Cup,1,2011-01-01 10:00,1,1,UK"
                         .encode())
    nul = tmp_path / "nul.csv"
    nul.write_bytes(f"{HEADER}\n1,A,Mu\x00g,1,2011-01-01 10:00,2.5,1,UK\n".encode())
    return [clean, repeated, nul]


def test_the_child_scan_finds_what_the_thread_scan_finds(tmp_path):
    files = _files(tmp_path)
    code = """
import json, sys
from pathlib import Path
from engine.ingest import scan_in_child
scans = scan_in_child([Path(p) for p in sys.argv[1:]])
out = []
for s in reversed(scans):  # asked out of order: the results still belong to their files
    try:
        out.append([s.path.name, s.sha256(), s.lines, s.suspect])
    except OSError as exc:
        out.append([s.path.name, str(exc)])
print(json.dumps(out))
"""
    got = json.loads(_python(code, *map(str, files), str(tmp_path / "missing.csv")))
    assert got[0][0] == "missing.csv" and "No such file" in got[0][1]  # the caller's own read says why
    for name, sha, lines, suspect in got[1:]:
        path = tmp_path / name
        header = path.read_bytes().split(b"\n", 1)[0]
        thread = scan_thread(path, header, digest=True)
        assert (sha, lines, suspect) == (thread.sha256(), thread.lines, thread.suspect)
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert {name: suspect for name, _, _, suspect in got[1:]} == {"clean.csv": False, "repeated.csv": True,
                                                                  "nul.csv": True}
    assert {name: lines for name, _, lines, _ in got[1:]} == {"clean.csv": 51, "repeated.csv": 4, "nul.csv": 2}


def test_a_child_that_dies_leaves_the_scans_to_the_caller(tmp_path):
    files = _files(tmp_path)
    code = """
import json, os, sys
from pathlib import Path
import engine.ingest._bytescan as B
parent, scan = os.getpid(), B._scan
B._scan = lambda *a: scan(*a) if os.getpid() == parent else os._exit(3)  # the child dies on its first file
scans = B.scan_in_child([Path(p) for p in sys.argv[1:]])
print(json.dumps([[s.sha256(), s.lines, s.suspect] for s in scans]))
"""
    got = json.loads(_python(code, *map(str, files)))
    for path, (sha, lines, suspect) in zip(files, got):
        thread = scan_thread(path, path.read_bytes().split(b"\n", 1)[0], digest=True)
        assert [sha, lines, suspect] == [thread.sha256(), thread.lines, thread.suspect]


def test_no_fork_once_the_process_runs_other_threads(tmp_path):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert scan_in_child(_files(tmp_path)) is None
    finally:
        stop.set()
        other.join()


def test_an_early_scan_is_taken_only_when_it_searched_the_detected_header(tmp_path):
    clean, repeated, _ = _files(tmp_path)
    det = detect(clean)
    early = scan_thread(clean, (HEADER + "\n").encode(), digest=True)
    assert start_scan(det, early=early) is early
    other = scan_thread(clean, b"something,else", digest=True)  # not this header: the file is scanned again
    again = start_scan(det, early=other)
    assert again is not other and again.header == HEADER.encode() and again.sha256() == other.sha256()
    latin = tmp_path / "latin.csv"  # not UTF-8: DuckDB reads a UTF-8 copy, scanned apart; the early scan hashes
    latin.write_bytes((HEADER + "\n1,A,Caf\xe9 mug,1,2011-01-01 10:00,2.5,1,UK\n").encode("cp1252"))
    det = detect(latin)
    assert det.encoding != "utf-8"
    early = scan_thread(latin, b"anything", digest=True)
    assert start_scan(det, early=early) is early


def test_cli_ingest_in_its_own_process_rejects_and_hashes_as_before(tmp_path):
    """The command a merchant types: the scan runs in its child process, and the file's bad lines still come back
    with their reasons and line numbers."""
    csv = tmp_path / "messy.csv"
    csv.write_text(f"{HEADER}\n536365,A,Mug,2,2011-01-01 10:00,2.5,17850.0,UK\n\n{HEADER}\n"
                   "536366,B,Cup,1,2011-01-02 11:00,1.5,,UK\n536365,C,Jug,1,2011-01-01 10:00,4,17850.0,UK\n")
    db = tmp_path / "s.duckdb"
    light = _python("import sys, engine.cli; print(sorted({'duckdb', 'engine.store'} & set(sys.modules)))")
    assert light.strip() == "[]"  # the child is forked before these load
    out = subprocess.run([sys.executable, "-m", "engine.cli", "ingest", "--db", str(db), "--json", str(csv)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    report = json.loads(out.stdout)["files"][0]
    assert (report["rows_read"], report["rows_loaded"], report["rows_rejected"]) == (5, 3, 2)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT row_number, reason FROM rejected_rows ORDER BY 1").fetchall() == [
        (3, "blank line"), (4, "repeated header row")]
    assert con.execute("SELECT order_id, line_no, product_id FROM orders ORDER BY 1, 2").fetchall() == [
        ("536365", 1, "A"), ("536365", 2, "C"), ("536366", 1, "B")]
    assert con.execute("SELECT sha256 FROM uploads").fetchall() == [(hashlib.sha256(csv.read_bytes()).hexdigest(),)]
