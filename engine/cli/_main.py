"""The `storelens` parser and entry point: each command group registers itself from its own module."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from . import _explain, _forecast, _ingest, _recommend, _segment, _sentiment, _serve, _uploads
from ._common import UsageError, printable

GROUPS = (_serve, _ingest, _uploads, _sentiment, _recommend, _explain, _forecast, _segment)


class _Parser(argparse.ArgumentParser):
    """argparse whose error line shows what was typed with `printable`: it echoes unknown arguments back as they
    are, and a pasted file name can hold escape sequences. Subcommand parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        """Usage, then the escaped reason; exit status 2 as argparse gives it."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")


def _parser() -> argparse.ArgumentParser:
    """Argument parser for every contract command."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help="database file (default: $STORELENS_DB or ./storelens.duckdb)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object on stdout")
    parser = _Parser(prog="storelens", description="StoreLens: analytics for online merchants.")
    parser.add_argument("--db", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", default=False, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `storelens` command; returns the exit status."""
    # OpenMP threads that spin at barriers stall when DuckDB or another process holds a core (2-thread explanations
    # ran 5-7x slower than 1 thread on a busy 2-core machine); passive waiting avoids that. It must be set before
    # torch loads, and a value the user set wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        sys.stderr.write("storelens: interrupted\n")
        return 1
    except Exception as exc:
        return _failed(exc)


def _failed(exc: Exception) -> int:
    """Say what went wrong in one line and return the exit status: 2 for bad input, 1 for anything else."""
    # Imported here: a command's handler loads DuckDB itself, after `ingest` has started its file scan.
    from engine.ingest import IngestError
    from engine.store import DatabaseLockedError

    # Messages name files and quote what the user typed: `printable` keeps them on one line and inert.
    if isinstance(exc, (UsageError, IngestError)):
        sys.stderr.write(f"storelens: {printable(exc)}\n")
        return 2
    if isinstance(exc, DatabaseLockedError):  # not bad input (exit 1), but a plain sentence rather than a class name
        sys.stderr.write(f"storelens: {printable(exc)}\n")
        return 1
    sys.stderr.write(f"storelens: {type(exc).__name__}: {printable(exc)}\n")  # the contract's exit 1, one line
    if os.environ.get("STORELENS_DEBUG"):
        raise exc
    return 1
