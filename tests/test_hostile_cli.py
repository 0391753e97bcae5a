"""Hostile input on the command line, run as a user runs it (`python -m engine.cli` in a child process): files
that are not readable exports give exit 2, one sentence naming the file and nothing written; file names and
headers holding escape sequences, line breaks or bidi overrides are printed escaped, never obeyed, and stored as
they are. The Upload page says the same sentence for the same file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _helpers import no_exception, open_page, serve_db

ROOT = Path(__file__).resolve().parents[1]
# What a terminal would act on: an escape sequence that clears the screen and retitles the window, a line break,
# a carriage return, DEL, a C1 control and a right-to-left override that makes "gpj.csv" read "csv.jpg".
HOSTILE = "x\x1b[2J\x1b]0;owned\x07\nsecond line\rover\x7f\x9b\u202egpj"
RAW = ("\x1b", "\x07", "\n", "\r", "\x7f", "\x9b", "\u202e")
ORDERS = "order_id,order_date,customer_email,product_id,product_name,quantity,unit_price\n" + "".join(
    f"A{i},2024-01-{i % 28 + 1:02d},c{i % 5}@example.com,P{i % 4},Widget {i % 4},{i % 3 + 1},{2.5 + i}\n"
    for i in range(30))


def storelens(*args: str, db: Path) -> subprocess.CompletedProcess:
    """The real command line in a child process, as bytes (so nothing is decoded away)."""
    env = dict(os.environ, STORELENS_NO_DEMO="1")
    env.pop("STORELENS_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "engine.cli", *args, "--db", str(db)], capture_output=True,
                          cwd=ROOT, env=env, timeout=120)


def uploads_in(db: Path) -> list[str]:
    """File names of the uploads stored in `db` (none when the command never created it)."""
    if not db.exists():
        return []
    from engine.store import Store

    store = Store.open(db, read_only=True)
    try:
        return [r[0] for r in store.con.execute("SELECT file_name FROM uploads").fetchall()]
    finally:
        store.close()


def one_sentence(err: bytes) -> str:
    """stderr as the one line the contract asks for, with none of the raw characters a terminal would obey."""
    text = err.decode("utf-8")
    assert text.endswith("\n") and text.count("\n") == 1, text
    line = text[:-1]
    assert line.startswith("storelens: ") and line.endswith("."), line
    assert not any(ch in line for ch in RAW), line
    assert "Error" not in line and "Traceback" not in line, line
    return line


def _utf16_orders(bad: bytes, at_end: bool = False) -> bytes:
    """A UTF-16 export with a byte-order mark and `bad` bytes (after a megabyte of good lines when `at_end`, so
    the sniffed head alone cannot see them)."""
    body = ORDERS.encode("utf-16-le")
    if at_end:
        body += "".join(f"B{i},2024-02-01,c1@example.com,P1,Widget 1,1,2.5\n"
                        for i in range(12_000)).encode("utf-16-le")
    return b"\xff\xfe" + body + bad + "B0,2024-02-01,c1@example.com,P1,W,1,2\n".encode("utf-16-le")


def _write(data: bytes) -> Callable[[Path], Path]:
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path
    return make


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


BAD_FILES = {
    # a lone surrogate inside UTF-16 text
    "utf16_bad_surrogate": (_write(_utf16_orders(b"\x00\xd8A\x00")), "not UTF-16 text"),
    # the same beyond the first megabyte: the whole file is checked before anything is written
    "utf16_bad_after_head": (_write(_utf16_orders(b"\x00\xd8A\x00", at_end=True)), "not UTF-16 text"),
    # a UTF-16 byte-order mark in front of UTF-8 text with an odd number of bytes
    "utf16_bom_on_utf8": (_write(b"\xff\xfe" + ORDERS.encode() + b"\xc3"), "not UTF-16 text"),
    "directory": (_folder, "is a folder"),
    "fifo": (_fifo, "not a regular file"),
    "empty": (_write(b""), "is empty"),
    "utf8_bom_only": (_write(b"\xef\xbb\xbf"), "holds no data"),
    "utf16_bom_only": (_write(b"\xff\xfe"), "holds no data"),
    "missing": (lambda path: path, "does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_exits_2_with_one_escaped_sentence_and_writes_nothing(tmp_path, case):
    make, says = BAD_FILES[case]
    good = tmp_path / "good.csv"
    good.write_text(ORDERS, encoding="utf-8")
    bad = make(tmp_path / f"{case}{HOSTILE}.csv")
    db = tmp_path / "shop.duckdb"
    out = storelens("ingest", str(good), str(bad), db=db)  # the good file first: it must not go in either
    assert out.returncode == 2, out.stderr
    line = one_sentence(out.stderr)
    assert says in line
    assert f"{case}x\\x1b[2J" in line  # the file is named, escaped
    assert out.stdout == b""
    assert uploads_in(db) == []


def test_a_device_and_an_unusable_path_are_bad_input(tmp_path):
    db = tmp_path / "shop.duckdb"
    for path, says in (("/dev/null", "null is not a regular file"),
                       (str(tmp_path / ("n" * 300 + ".csv")), "cannot be read (File name too long)"),
                       (str(tmp_path / "good.csv" / "inside.csv"), "cannot be read (Not a directory)")):
        (tmp_path / "good.csv").write_text(ORDERS, encoding="utf-8")
        out = storelens("ingest", path, db=db)
        assert out.returncode == 2, out.stderr
        assert says in one_sentence(out.stderr)
    assert uploads_in(db) == []


def test_hostile_file_names_and_headers_are_printed_escaped_and_stored_as_they_are(tmp_path):
    name = f"orders{HOSTILE}.csv"
    (tmp_path / name).write_text(ORDERS, encoding="utf-8")
    header = tmp_path / "header.csv"  # a quoted header cell and a value with an escape sequence and a line break
    header.write_text(ORDERS.replace("order_date", '"order\x1b[31m\ndate"').replace("Widget 1", "Wid\x1b[1mget"),
                      encoding="utf-8")
    db = tmp_path / "shop.duckdb"

    out = storelens("ingest", str(tmp_path / name), str(header), db=db)
    assert out.returncode == 0, out.stderr
    for stream in (out.stdout, out.stderr):
        text = stream.decode("utf-8")
        assert not any(ch in text.replace("\n", "") for ch in RAW), text
    stdout = out.stdout.decode("utf-8").splitlines()
    assert len(stdout) == 2 and stdout[0].startswith("ordersx\\x1b[2J\\x1b]0;owned\\x07\\nsecond line\\rover\\x7f"
                                                     "\\x9b\\u202egpj.csv: generic (orders)")
    assert "order\\x1b[31m\\ndate" in out.stderr.decode("utf-8")  # the mapping table and summary name it escaped
    assert sorted(uploads_in(db)) == sorted([name, "header.csv"])  # the stored name is the original

    listed = storelens("uploads", "list", db=db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.decode("utf-8").splitlines()
    assert len(lines) == 2  # one line per upload: the name's line break does not split it
    assert not any(ch in "".join(lines) for ch in RAW)
    assert any("ordersx\\x1b[2J" in line and "\\u202egpj.csv (generic, orders)" in line for line in lines)

    as_json = storelens("uploads", "list", "--json", db=db)
    assert as_json.returncode == 0 and not any(ch.encode() in as_json.stdout.strip() for ch in RAW)
    assert sorted(u["file"] for u in json.loads(as_json.stdout)["uploads"]) == sorted([name, "header.csv"])


def test_a_usage_error_echoes_the_typed_argument_escaped(tmp_path):
    out = storelens("uploads", "list", "--colour\x1b[2J\u202e", db=tmp_path / "shop.duckdb")
    assert out.returncode == 2
    err = out.stderr.decode("utf-8")
    assert "--colour\\x1b[2J\\u202e" in err and "\x1b" not in err and "\u202e" not in err


def test_the_upload_page_says_the_same_sentence(tmp_path, monkeypatch):
    import streamlit

    bad = tmp_path / "export.csv"
    bad.write_bytes(_utf16_orders(b"\x00\xd8A\x00"))
    cli = one_sentence(storelens("ingest", str(bad), db=tmp_path / "cli.duckdb").stderr)

    class Picked:  # what st.file_uploader hands the page
        name, file_id = "export.csv", "f1"

        def getbuffer(self) -> memoryview:
            return memoryview(bad.read_bytes())

    serve_db(monkeypatch, tmp_path / "app.duckdb")
    monkeypatch.setattr(streamlit, "file_uploader", lambda *a, **k: [Picked()])
    at = open_page("views/data/upload.py")
    no_exception(at)
    shown = [e.value.replace("\\", "") for e in at.error]
    assert shown == [cli.removeprefix("storelens: ")]
    assert uploads_in(tmp_path / "app.duckdb") == []
