"""What every command shares: the exit-2 error, progress on stderr, the database it opens, one JSON object out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # DuckDB loads with the store, in the command that opens it (`ingest` starts its file scan first)
    import pandas as pd

    from engine.models import Engine
    from engine.store import Store


class UsageError(Exception):
    """Bad input or usage: exit status 2 with a one-line reason."""


# What a terminal acts on instead of showing, so a file name, header or cell could move the cursor, recolour or
# clear the screen, split one line of a table into two, or make text read reversed: C0 and C1 controls, DEL, the
# bidirectional marks, embeddings, overrides and isolates, and the Unicode line and paragraph separators.
_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_UNSAFE.update({c: f"\\u{c:04x}" for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                                            0x2028, 0x2029)})
_UNSAFE.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})


def printable(text: object) -> str:
    """`text` as the CLI prints it for people: every character a terminal would act on is written as its escape
    (\\x1b, \\n, \\u202e), so text from files and users is shown, never obeyed, and stays on its line. JSON output
    needs none of this: json.dumps escapes them itself. The stored values stay as they are."""
    return str(text).translate(_UNSAFE)


def progress(enabled: bool) -> Callable[[float, str], None]:
    """Progress on stderr: a redrawn bar on a terminal, a line per tenth otherwise."""
    tty = sys.stderr.isatty()
    state = {"last": -1}

    def show(fraction: float, message: str) -> None:
        if not enabled:
            return
        pct = int(max(0.0, min(1.0, fraction)) * 100)
        message = printable(message)
        if tty:
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r[{bar:<25}] {pct:3d}% {message[:60]:<60}")
            if pct >= 100:
                sys.stderr.write("\n")
        elif pct // 10 != state["last"] // 10 or pct == 100:
            sys.stderr.write(f"{pct:3d}% {message}\n")
        state["last"] = pct
        sys.stderr.flush()

    return show


def say_waiting(message: str) -> None:
    """Tell the user why a command pauses (the dashboard or another command is using the database)."""
    sys.stderr.write(f"storelens: {printable(message)}\n")
    sys.stderr.flush()


def open_store(args: argparse.Namespace, probe: bool = True) -> Store:
    """The command's database, shared with a running dashboard: held only while the command reads or writes.
    Without `probe` the file is first opened by the command's own first unit of work (one open fewer)."""
    from engine.store import open_shared

    return open_shared(db_path(args), on_wait=say_waiting, probe=probe)


def db_path(args: argparse.Namespace) -> Path:
    """--db, else $STORELENS_DB, else ./storelens.duckdb."""
    from engine.store import default_db_path

    return Path(args.db) if getattr(args, "db", None) else default_db_path()


def emit(args: argparse.Namespace, obj: dict, human: str | Sequence[str]) -> None:
    """One JSON object on stdout with --json (json.dumps escapes every control character), else the readable
    summary: `human` is one line, or a list of lines, each shown with `printable` so no value can split it."""
    if args.json:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
    else:
        lines = [human] if isinstance(human, str) else human
        sys.stdout.write("".join(printable(line) + "\n" for line in lines))


def model_state(payload: dict, model: object) -> dict:
    """Add `fell_back_from` (null unless the active model stands in for a broken one) and say so on stderr."""
    broken = getattr(model, "fallback_from", None)
    payload["fell_back_from"] = broken
    if broken:
        sys.stderr.write(printable(f"storelens: model version {broken} is broken (missing or corrupt files); "
                                   f"used {getattr(model, 'version', 'the previous version')} instead, now the "
                                   "active one") + "\n")
    return payload


def add_engine_args(parser: argparse.ArgumentParser) -> None:
    """`--ray`, `--workers`, `--threads`: where a job over every review or customer runs (docs/cluster.md)."""
    parser.add_argument("--ray", default=None, metavar="ADDRESS",
                        help="run on Ray: local (a local Ray with --workers), auto, or an address such as "
                             "ray://head:10001 (default: $STORELENS_RAY, else in this process)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="Ray workers (with --ray local: the local Ray's size; default one per core)")
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads per Ray worker (default 1), or of this process without --ray")


def engine_of(args: argparse.Namespace) -> Engine:
    """The engine `add_engine_args` asked for, checked before any work (bad counts, a missing extra or an address
    nobody answers at are exit 2); `--threads` applies in-process at once."""
    from engine.models import ClusterError, apply_threads, engine_from

    try:
        engine = engine_from(args.ray, args.workers, args.threads)
        engine.check()
    except (ValueError, ClusterError) as exc:
        raise UsageError(f"{str(exc).rstrip('.')}.") from exc
    if not engine.distributed:
        apply_threads(engine)
    return engine


def model_errors(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """'No model yet', 'not enough data', a missing base model and a Ray cluster that cannot be used (not
    installed, not answering) are the user's input: exit 2 with one line."""
    def run(args: argparse.Namespace) -> int:
        from engine.models import (  # not at parser build
            BaseModelError,
            ClusterError,
            InsufficientDataError,
            ModelNotFoundError,
        )

        try:
            return fn(args)
        except (ModelNotFoundError, InsufficientDataError, BaseModelError, ClusterError) as exc:
            raise UsageError(str(exc).strip().rstrip(".") + ".") from exc

    run.__doc__ = fn.__doc__
    return run


def _delimiter(path: Path) -> str:
    """The separator of the header line (comma, semicolon, tab or pipe; a one-column file has none: comma)."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        first = next((line for line in fh if line.strip()), "")
    counts = {d: 0 for d in ",;\t|"}
    inside = False
    for ch in first:
        if ch == '"':
            inside = not inside
        elif ch in counts and not inside:
            counts[ch] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_texts(path: Path, column: str) -> "pd.DataFrame":
    """A CSV of texts to score or explain, every cell as text; a missing file, an unreadable CSV or a missing column
    is bad input (UsageError: exit 2, one sentence)."""
    import pandas as pd

    if not path.exists():
        raise UsageError(f"{path} does not exist; check the path.")
    try:
        frame = pd.read_csv(path, sep=_delimiter(path), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise UsageError(f"{path.name} is not a readable CSV ({exc}).") from exc
    if column not in frame.columns:
        raise UsageError(f"{path.name} has no column '{column}'; its columns are: {', '.join(frame.columns)}.")
    return frame


def load_active(args: argparse.Namespace, family: Any) -> Any:
    """The active version of a model family (`engine.sentiment`, `engine.recommend`...), the database held only while
    it is read."""
    store = open_store(args)
    try:
        return family.load_active(store)
    finally:
        store.close()
