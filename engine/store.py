"""One DuckDB file holding the contract's tables, created and migrated by the engine."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Store", "DatabaseLockedError", "default_db_path", "read_df", "read_rows", "SCHEMA_VERSION"]

_MIGRATIONS: list[str] = [
    # v1: the contract's tables plus the engine's model bookkeeping.
    """
    CREATE TABLE orders (
        order_id VARCHAR NOT NULL, line_no INTEGER NOT NULL, order_ts TIMESTAMP,
        customer_id VARCHAR, product_id VARCHAR, product_name VARCHAR, category VARCHAR,
        quantity DOUBLE, unit_price DOUBLE, revenue DOUBLE, currency VARCHAR, country VARCHAR,
        status VARCHAR, batch_id VARCHAR NOT NULL
    );
    CREATE TABLE reviews (
        review_id VARCHAR NOT NULL, review_ts TIMESTAMP, product_id VARCHAR, product_name VARCHAR,
        category VARCHAR, customer_id VARCHAR, author VARCHAR, rating DOUBLE, title VARCHAR,
        text VARCHAR, batch_id VARCHAR NOT NULL
    );
    CREATE TABLE products (
        product_id VARCHAR NOT NULL, product_name VARCHAR, category VARCHAR,
        handle VARCHAR, sku VARCHAR, batch_id VARCHAR
    );
    CREATE TABLE rejected_rows (
        batch_id VARCHAR NOT NULL, source_file VARCHAR, row_number BIGINT, raw VARCHAR, reason VARCHAR
    );
    CREATE TABLE uploads (
        batch_id VARCHAR PRIMARY KEY, file_name VARCHAR, sha256 VARCHAR, format VARCHAR, kind VARCHAR,
        rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT,
        uploaded_at TIMESTAMP, mapping JSON
    );
    CREATE TABLE review_sentiment (
        review_id VARCHAR PRIMARY KEY, label VARCHAR, p_negative DOUBLE, p_neutral DOUBLE,
        p_positive DOUBLE, model_version VARCHAR, scored_at TIMESTAMP
    );
    CREATE TABLE model_versions (
        family VARCHAR NOT NULL, version VARCHAR NOT NULL, created_at TIMESTAMP, path VARCHAR,
        active BOOLEAN, metrics JSON, base_model VARCHAR, data_hash VARCHAR,
        PRIMARY KEY (family, version)
    );
    """,
    # v2: indexes on the natural keys that deduplication probes on every upload.
    """
    CREATE INDEX orders_key ON orders (order_id, line_no);
    CREATE INDEX reviews_key ON reviews (review_id);
    CREATE INDEX products_key ON products (product_id);
    """,
    # v3: drop them again: deduplication runs as hash anti-joins, which never use these indexes, while keeping
    # them up to date cost 0.25-0.85 s on every 1,000,000-line import.
    """
    DROP INDEX IF EXISTS orders_key;
    DROP INDEX IF EXISTS reviews_key;
    DROP INDEX IF EXISTS products_key;
    """,
]

SCHEMA_VERSION = len(_MIGRATIONS)


def default_db_path() -> Path:
    """Resolve the database the way the contract says: $STORELENS_DB, else ./storelens.duckdb."""
    return Path(os.environ.get("STORELENS_DB") or "storelens.duckdb")


class DatabaseLockedError(RuntimeError):
    """The database file is open for writing in another process (DuckDB allows one writer process per file)."""


class Store:
    """A DuckDB database with the StoreLens schema; the single owner of a connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
        self.con = con
        self.path = path
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: str | Path | None = None, read_only: bool = False) -> "Store":
        """Open (creating and migrating) the database at `path`; None or ':memory:' gives an in-memory store."""
        target = None if path in (None, ":memory:") else Path(path)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(target) if target else ":memory:", read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"\(PID (\d+)\)", str(exc))
            raise DatabaseLockedError(
                f"the database {target} is in use by another process"
                f"{f' (PID {holder.group(1)})' if holder else ''}, e.g. a running `storelens serve` or a training job;"
                " stop it, or use another database file"
            ) from None
        con.execute("SET TimeZone = 'UTC'")
        store = cls(con, target)
        if not read_only:
            store.migrate()
        return store

    @property
    def models_dir(self) -> Path:
        """Folder where trained model versions of this database live."""
        if self.path is None:
            raise RuntimeError("an in-memory store has no model folder; open a database file")
        return self.path.with_suffix(".models")

    def schema_version(self) -> int:
        """Version recorded in the database (0 for a new file)."""
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        row = self.con.execute("SELECT max(version) FROM schema_version").fetchall()[0]
        return int(row[0] or 0)

    def migrate(self) -> None:
        """Bring an older (or empty) database up to SCHEMA_VERSION, one transaction per step."""
        with self._lock:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)"
            )
            current = self.schema_version()
            for version in range(current + 1, SCHEMA_VERSION + 1):
                with self.transaction():
                    self.con.execute(_MIGRATIONS[version - 1])
                    self.con.execute(
                        "INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version]
                    )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing unit of work: commits on success, rolls back on any exception."""
        with self._lock:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield self.con
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for read queries from another thread (DuckDB connections are not thread-safe)."""
        cur = self.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def is_empty(self) -> bool:
        """True when nothing has been uploaded yet (the app then opens on the demo data)."""
        cur = self.cursor()
        try:
            return cur.execute("SELECT count(*) FROM uploads").fetchall()[0][0] == 0
        finally:
            cur.close()

    def close(self) -> None:
        """Release the file so another process can open it."""
        self.con.close()


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
