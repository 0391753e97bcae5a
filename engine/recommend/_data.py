"""Data preparation: purchase events from `orders` (returns and cancellations netted out), the product catalogue
and review sentiment per product, read with parameterised SQL and shaped into index-aligned arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store


@dataclass(frozen=True)
class Columns:
    """Column names of the orders table (configurable, as statsforecast's id/ds/y)."""

    customer: str = "customer_id"
    product: str = "product_id"
    name: str = "product_name"
    category: str = "category"
    ts: str = "order_ts"
    quantity: str = "quantity"
    price: str = "unit_price"
    status: str = "status"
    order: str = "order_id"


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier (names come from engine config, never from user text)."""
    return '"' + name.replace('"', '""') + '"'


def read_events(store: "Store", cols: Columns = Columns()) -> "pd.DataFrame":
    """Order lines as signed purchase events: customer, product, ts, qty (negative = return), order, price."""
    from engine.store import GIVEN_BACK_STATUSES, read_df

    c = {k: _ident(v) for k, v in cols.__dict__.items()}
    marks = ", ".join("?" for _ in GIVEN_BACK_STATUSES)
    # A positive line of an order the merchant got back (GIVEN_BACK_STATUSES) is no sign of liking and is left out;
    # a negative quantity is a reversal (return or cancellation line) of an earlier purchase and stays, signed.
    sql = f"""
        SELECT CAST({c['customer']} AS VARCHAR) AS customer_id, CAST({c['product']} AS VARCHAR) AS product_id,
               {c['ts']} AS ts, CAST({c['order']} AS VARCHAR) AS order_id,
               CASE WHEN {c['quantity']} < 0 THEN {c['quantity']} ELSE abs(coalesce({c['quantity']}, 1)) END AS qty,
               {c['price']} AS unit_price
        FROM orders
        WHERE {c['customer']} IS NOT NULL AND {c['product']} IS NOT NULL AND {c['ts']} IS NOT NULL
          AND NOT ({c['quantity']} > 0 AND coalesce(lower({c['status']}), '') IN ({marks}))
        ORDER BY ts, order_id
    """
    return read_df(store, sql, list(GIVEN_BACK_STATUSES))


def read_catalogue(store: "Store", cols: Columns = Columns()) -> "pd.DataFrame":
    """One row per product: its most frequent name and category (orders, then the products table) and price."""
    from engine.store import read_df

    c = {k: _ident(v) for k, v in cols.__dict__.items()}
    sql = f"""
        WITH o AS (
            SELECT CAST({c['product']} AS VARCHAR) AS product_id,
                   mode({c['name']}) AS product_name, mode({c['category']}) AS category,
                   median({c['price']}) FILTER (WHERE {c['price']} > 0 AND {c['quantity']} > 0) AS price
            FROM orders WHERE {c['product']} IS NOT NULL GROUP BY 1
        ), p AS (
            SELECT product_id, mode(product_name) AS product_name, mode(category) AS category
            FROM products GROUP BY 1
        )
        SELECT o.product_id, coalesce(o.product_name, p.product_name, o.product_id) AS product_name,
               coalesce(o.category, p.category) AS category, o.price
        FROM o LEFT JOIN p ON p.product_id = o.product_id
        ORDER BY o.product_id
    """
    return read_df(store, sql)


def read_review_sentiment(store: "Store") -> "pd.DataFrame":
    """Per product: scored reviews and their positive share (empty when review_sentiment has no rows)."""
    from engine.store import read_df

    return read_df(store, """
        SELECT CAST(r.product_id AS VARCHAR) AS product_id, count(*) AS n_reviews,
               avg(CASE WHEN s.label = ? THEN 1.0 ELSE 0.0 END) AS positive_share
        FROM review_sentiment s JOIN reviews r ON r.review_id = s.review_id
        WHERE r.product_id IS NOT NULL GROUP BY 1
    """, ["positive"])


def read_customers(store: "Store", cols: Columns = Columns()) -> "pd.DataFrame":
    """Every customer with an order line (cancelled ones too) and the category of their first categorised line."""
    from engine.store import read_df

    c = {k: _ident(v) for k, v in cols.__dict__.items()}
    return read_df(store, f"""
        SELECT CAST({c['customer']} AS VARCHAR) AS customer_id,
               arg_min({c['category']}, {c['ts']}) FILTER (WHERE {c['category']} IS NOT NULL) AS first_category
        FROM orders WHERE {c['customer']} IS NOT NULL GROUP BY 1 ORDER BY 1
    """)


@dataclass
class Interactions:
    """Net purchases per (customer, product) of one time window, as index arrays."""

    cust: np.ndarray  # customer index
    item: np.ndarray  # item index
    count: np.ndarray  # distinct orders that bought it (net of full returns)
    last_ts: np.ndarray  # last purchase, datetime64[s]


def net_interactions(events: "pd.DataFrame", cust_index: dict[str, int], item_index: dict[str, int],
                     start: np.datetime64 | None = None, end: np.datetime64 | None = None) -> Interactions:
    """Purchases in [start, end) net of returns in the same window; a fully returned product is no interaction."""
    ev = events
    if start is not None:
        ev = ev[ev["ts"] >= start]
    if end is not None:
        ev = ev[ev["ts"] < end]
    ev = ev[ev["customer_id"].isin(cust_index.keys()) & ev["product_id"].isin(item_index.keys())]
    pos = ev[ev["qty"] > 0]
    g = ev.groupby(["customer_id", "product_id"], sort=False)
    net = g["qty"].sum()
    gp = pos.groupby(["customer_id", "product_id"], sort=False)
    orders = gp["order_id"].nunique()
    last = gp["ts"].max()
    keep = net[net > 0].index.intersection(orders.index)
    if len(keep) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Interactions(empty, empty, np.zeros(0), np.zeros(0, dtype="datetime64[s]"))
    cust = np.fromiter((cust_index[c] for c, _ in keep), dtype=np.int64, count=len(keep))
    item = np.fromiter((item_index[p] for _, p in keep), dtype=np.int64, count=len(keep))
    return Interactions(cust, item, orders.loc[keep].to_numpy(dtype=float),
                        last.loc[keep].to_numpy().astype("datetime64[s]"))


def default_cutoff(events: "pd.DataFrame", test_fraction: float) -> np.datetime64:
    """The time before which (1 - test_fraction) of the purchase lines fall."""
    ts = events.loc[events["qty"] > 0, "ts"].sort_values().to_numpy()
    return np.datetime64(ts[min(len(ts) - 1, int(len(ts) * (1 - test_fraction)))], "s")
