"""Full-size checks (marker `slow`): run by `python benchmarks/run.py`, not by CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.demo import write_big_orders
from engine.ingest import ingest
from engine.store import Store

pytestmark = pytest.mark.slow
RETAIL = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "online_retail_until_2011-09-30.csv"


@pytest.mark.skipif(not RETAIL.exists(), reason="needs ../shared/datasets (development data)")
def test_real_retail_log_imports_every_row_once(tmp_path):
    store = Store.open(tmp_path / "retail.duckdb")
    first, second = ingest(store, RETAIL), ingest(store, RETAIL)
    assert first.rows_read == 370_931 == first.rows_loaded + first.rows_rejected + first.rows_duplicate
    assert (second.rows_loaded, second.rows_duplicate) == (0, first.rows_loaded)
    store.close()


def test_million_line_import_accounts_for_every_row(tmp_path):
    path = write_big_orders(tmp_path / "orders.csv", 1_000_000)
    store = Store.open(tmp_path / "big.duckdb")
    report = ingest(store, path)
    assert report.rows_read == 1_000_000 == report.rows_loaded
    assert store.con.execute("SELECT count(*) FROM orders").fetchall()[0][0] == 1_000_000
    store.close()
