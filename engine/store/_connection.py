"""The one owner of the DuckDB connection: opening, waiting for another process, holds, transactions, cursors."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

from ._migrations import MIGRATIONS, SCHEMA_VERSION


def default_db_path() -> Path:
    """Resolve the database the way the contract says: $STORELENS_DB, else ./storelens.duckdb."""
    return Path(os.environ.get("STORELENS_DB") or "storelens.duckdb")


def default_wait() -> float:
    """Seconds to wait for a database another process is using: $STORELENS_DB_WAIT, else 60."""
    try:
        return max(0.0, float(os.environ.get("STORELENS_DB_WAIT", "60")))
    except ValueError:
        return 60.0


class DatabaseLockedError(RuntimeError):
    """The database file is open for writing in another process (DuckDB allows one writer process per file)."""


class _Cursor:
    """A cursor that gives its hold on the file back when closed."""

    def __init__(self, store: "Store", cur: duckdb.DuckDBPyConnection) -> None:
        self._store, self._cur = store, cur

    def __getattr__(self, name: str):  # noqa: ANN204 - everything else is the DuckDB cursor's
        return getattr(self._cur, name)

    def close(self) -> None:
        """Close the cursor and release its hold (a second close does nothing)."""
        if self._cur is not None:
            cur, self._cur = self._cur, None
            try:
                cur.close()
            finally:
                self._store._release()


class Store:
    """A DuckDB database with the StoreLens schema; the single owner of its connection.

    DuckDB lets one process at a time open a file. A store opened with `release_when_idle` (the app and the CLI)
    keeps the file open only while some work holds it, so `storelens ingest` or `sentiment train` in a shell and a
    running dashboard take turns instead of shutting each other out; opening waits up to `wait` seconds.
    """

    def __init__(self, path: Path | None, read_only: bool = False, release_when_idle: bool = False,
                 wait: float = 0.0, on_wait: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.read_only = read_only
        self.release_when_idle = release_when_idle and path is not None  # an in-memory store would lose its data
        self.wait = wait
        self.on_wait = on_wait  # told once per open that waits, so a shell command does not hang silently
        self._lock = threading.RLock()  # serialises work on the main connection (transactions, temp tables)
        self._state = threading.RLock()  # guards the connection and its holders
        self._con: duckdb.DuckDBPyConnection | None = None
        self._holders = 0
        self._migrated = read_only

    @classmethod
    def open(cls, path: str | Path | None = None, read_only: bool = False, release_when_idle: bool = False,
             wait: float = 0.0, on_wait: Callable[[str], None] | None = None, probe: bool = True) -> "Store":
        """Open (creating and migrating) the database at `path`; None or ':memory:' gives an in-memory store.
        With `probe`, a missing or busy file fails here, not at the first query."""
        target = None if path in (None, ":memory:") else Path(path)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        store = cls(target, read_only=read_only, release_when_idle=release_when_idle, wait=wait, on_wait=on_wait)
        if probe or not release_when_idle:
            with store.hold():
                pass
        return store

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """A new connection, retried while another process holds the file (up to `wait` seconds)."""
        target = str(self.path) if self.path is not None else ":memory:"
        deadline, pause, told = time.monotonic() + self.wait, 0.05, False
        while True:
            try:
                con = duckdb.connect(target, read_only=self.read_only)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                holder = re.search(r"\(PID (\d+)\)", str(exc))
                busy = f"the database {self.path} is in use by another process" + (
                    f" (PID {holder.group(1)})" if holder else "")
                if time.monotonic() + pause > deadline:
                    waited = f" (waited {self.wait:g} s)" if self.wait else ""
                    raise DatabaseLockedError(
                        f"{busy}{waited}, e.g. a long import or a database shell; try again when it is done, "
                        "or use another database file"
                    ) from None
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait(f"{busy}; waiting up to {self.wait:g} s")
                time.sleep(pause)
                pause = min(pause * 2, 0.1)  # short: the other side lets go between queries, for moments
        con.execute("SET TimeZone = 'UTC'")
        # Bulk inserts write each full row group out at once instead of buffering five first: memory is reused, not
        # newly mapped. Loading the real retail log x4, the final INSERT faulted 26,000 pages instead of 70,000 and
        # took 0.70-0.73 s instead of 0.76-0.77 s.
        con.execute("SET write_buffer_row_group_count = 1")
        return con

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        """Open the file if needed (creating and migrating it the first time) and count one more holder."""
        with self._state:
            if self._con is None:
                self._con = self._connect()
            self._holders += 1
            if not self._migrated:
                self._migrated = True
                try:
                    self.migrate()
                except BaseException:
                    self._migrated = False
                    self._release()
                    raise
            return self._con

    def _release(self) -> None:
        """One holder less; the last one closes the file when the store releases it when idle."""
        with self._state:
            self._holders -= 1
            if self._holders == 0 and self.release_when_idle and self._con is not None:
                con, self._con = self._con, None
                con.close()

    @contextmanager
    def hold(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Keep the file open for a unit of work (one open, however many queries); yields the main connection."""
        con = self._acquire()
        try:
            yield con
        finally:
            self._release()

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The main connection: always there for a store that stays open, inside `hold()` for one that releases."""
        with self._state:
            if self._con is None:
                if self.release_when_idle:
                    raise RuntimeError("this store releases its file when idle: use it inside `with store.hold()`")
                self._acquire()
                self._release()  # a store that stays open keeps the file without a holder
            return self._con

    @property
    def models_dir(self) -> Path:
        """Folder where trained model versions of this database live."""
        if self.path is None:
            raise RuntimeError("an in-memory store has no model folder; open a database file")
        return self.path.with_suffix(".models")

    def schema_version(self) -> int:
        """Version recorded in the database (0 for a new file)."""
        with self.hold() as con:
            exists = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
            ).fetchall()[0][0]
            if not exists:
                return 0
            row = con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Bring an older (or empty) database up to SCHEMA_VERSION, one transaction per step (one for a new file)."""
        with self.hold() as con, self._lock:
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
            # Read directly: the table now exists, and the catalog lookup schema_version() makes took 10 ms.
            current = int(con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0])
            steps = list(range(current + 1, SCHEMA_VERSION + 1))
            # A new file takes every step in one transaction (a commit syncs the log); an older one a step at a time.
            for group in [steps] if current == 0 else [[v] for v in steps]:
                with self.transaction():
                    for version in group:
                        con.execute(MIGRATIONS[version - 1])
                        con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])

    @contextmanager
    def exclusive(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The main connection, held and serialised, for work spread over several statements and temp tables."""
        with self.hold() as con, self._lock:
            yield con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing unit of work: commits on success, rolls back on any exception."""
        with self.hold() as con, self._lock:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for read queries from another thread (DuckDB connections are not thread-safe); close it."""
        con = self._acquire()
        try:
            cur = con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
        except BaseException:
            self._release()
            raise
        return _Cursor(self, cur)  # type: ignore[return-value]  # behaves as the DuckDB cursor it wraps

    def is_empty(self) -> bool:
        """True when nothing has been uploaded yet (the app then opens on the demo data)."""
        cur = self.cursor()
        try:
            return cur.execute("SELECT count(*) FROM uploads").fetchall()[0][0] == 0
        finally:
            cur.close()

    def close(self) -> None:
        """Release the file so another process can open it."""
        with self._state:
            if self._con is not None:
                con, self._con = self._con, None
                con.close()


def open_shared(path: str | Path, on_wait: Callable[[str], None] | None = None, probe: bool = True) -> Store:
    """The database as the CLI and the app open it: let go between units of work, waiting while another has it."""
    return Store.open(path, release_when_idle=True, wait=default_wait(), on_wait=on_wait, probe=probe)


def read_df(store: Store, sql: str, params: list | None = None) -> "pd.DataFrame":
    """Run a read query on a cursor of its own (pages and background jobs read from several threads)."""
    cur = store.cursor()
    try:
        return cur.execute(sql, params or []).df()
    finally:
        cur.close()


def read_rows(store: Store, sql: str, params: list | None = None) -> list[tuple]:
    """Like read_df, for small results that are easier to use as tuples."""
    cur = store.cursor()
    try:
        return cur.execute(sql, params or []).fetchall()
    finally:
        cur.close()
