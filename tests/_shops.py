"""Generated shops for the segments tests (engine, CLI, pages, browser): order lines written straight into the
canonical table, with a planted lapsing group the churn model must catch."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from engine.segments import SegmentConfig
from engine.store import Store

START = datetime(2024, 1, 1)
ORDER_COLUMNS = ["order_id", "line_no", "order_ts", "customer_id", "product_id", "product_name", "category",
                 "quantity", "unit_price", "revenue", "currency", "country", "status", "batch_id"]


def insert_lines(store: Store, rows: list[tuple]) -> None:
    """Order lines straight into the canonical table (as the importer would leave them)."""
    df = pd.DataFrame(rows, columns=ORDER_COLUMNS)
    with store.transaction() as con:
        con.register("new_rows", df)
        con.execute("INSERT INTO orders BY NAME SELECT * FROM new_rows")
        con.unregister("new_rows")


def line(order: str, n: int, ts: str, cust: str | None, prod: str, qty: float, price: float,
          status: str = "completed", category: str | None = None) -> tuple:
    return (order, n, pd.Timestamp(ts), cust, prod, prod, category, qty, price, qty * price, "GBP", "UK", status, "b")


def tiny_store(path: Path) -> Store:
    """Two customers and a guest, small enough to work every feature out by hand."""
    store = Store.open(path)
    insert_lines(store, [
        line("o1", 1, "2024-01-01", "A", "p1", 2, 10.0), line("o1", 2, "2024-01-01", "A", "p2", 1, 5.0),
        line("o2", 1, "2024-01-11", "A", "p1", 1, 10.0),
        line("o3", 1, "2024-01-31", "A", "p1", 1, 8.0),  # below p1's usual 10: a discounted line
        line("C4", 1, "2024-02-05", "A", "p1", -1, 10.0, "cancelled"),
        line("o5", 1, "2024-02-20", "B", "p2", 3, 5.0),
        line("o6", 1, "2024-02-25", "B", "p2", 1, 5.0, "returned"),
        line("g1", 1, "2024-02-01", None, "p2", 1, 5.0),
        line("o7", 1, "2024-03-10", "A", "p1", 1, 10.0),  # after the cut-off: only the label sees it
    ])
    return store


def shop(path: Path, n_customers: int = 300, days: int = 420, seed: int = 0) -> Store:
    """A generated shop: steady regulars with their own rhythm, and a planted lapsing group whose orders drift
    apart until they stop. Spend is independent of lapsing, and rhythms overlap, so no single RFM signal can
    tell a slow regular from an overdue lapser; recency against the customer's own rhythm can."""
    rng = np.random.default_rng(seed)
    rows: list[tuple] = []
    n_order = 0
    for i in range(n_customers):
        gap = rng.uniform(6, 45)
        t = rng.uniform(0, 80)
        lapsing = rng.random() < 0.5
        stop = rng.uniform(t + 60, days + 60) if lapsing else np.inf
        growth = 1.25 if lapsing else 1.0
        spend = rng.lognormal(3, 0.6)
        while t < min(stop, days):
            n_order += 1
            ts = START + timedelta(days=float(t))
            for k in range(int(rng.integers(1, 4))):
                prod = f"p{int(rng.integers(0, 20))}"
                price = round(spend * (0.8 if rng.random() < 0.15 else 1.0), 2)
                rows.append(line(f"o{n_order}", k + 1, str(ts), f"c{i:03d}", prod, float(rng.integers(1, 4)), price,
                                  "returned" if rng.random() < 0.05 else "completed", f"cat{int(prod[1:]) % 3}"))
            t += gap * rng.uniform(0.7, 1.3)
            gap *= growth
    for g in range(40):
        rows.append(line(f"g{g}", 1, str(START + timedelta(days=float(rng.uniform(0, days)))), None, "p1", 1, 9.0))
    store = Store.open(path)
    insert_lines(store, rows)
    return store


def tiny_config(seed: int = 0) -> SegmentConfig:
    """Small, fast settings for generated shops (60-day horizon, few optimiser steps)."""
    return SegmentConfig(seed=seed, horizon_days=60, min_history_days=45, ae_steps=150, clf_steps=150,
                         k_range=(3, 5), explain_sample=100)




def trained_shop(path: Path, n_customers: int = 260, seed: int = 1) -> str:
    """A generated shop with an upload row, one customer review and a registered segments model; returns the
    riskiest customer's id (the pages' default drill-down)."""
    from engine.segments import train

    store = shop(path, n_customers=n_customers, seed=seed)
    with store.transaction() as con:
        con.execute("INSERT INTO uploads (batch_id, file_name, format, kind, rows_read, rows_loaded, rows_rejected, "
                    "rows_duplicate, uploaded_at) VALUES ('b', 'gen.csv', 'generic', 'orders', 1, 1, 0, 0, now())")
        con.execute("INSERT INTO reviews (review_id, review_ts, customer_id, rating, title, text, batch_id) VALUES "
                    "('r1', '2024-06-01', 'c000', 2, '<b>meh</b>', 'Strap =broke', 'b')")
    model = train(store, tiny_config())
    riskiest = model.customers.sort_values(["churn_risk", "monetary"], ascending=False).iloc[0]["customer_id"]
    store.close()
    return str(riskiest)
