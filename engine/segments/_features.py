"""Customer features as of a cut-off, computed in DuckDB from orders (and reviews), so the same definition feeds
segments, churn training at past cut-offs and the scores of today without leaking the future."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from engine.store import GIVEN_BACK_STATUSES, read_df, read_rows

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

# A purchase is an order with at least one positive, not-cancelled line; returns/refunds/cancellations are the
# orders the merchant got back (the retail log's 'C' invoices, negative lines, GIVEN_BACK_STATUSES).
_BAD = "(" + ", ".join(f"'{s}'" for s in GIVEN_BACK_STATUSES) + ")"  # engine constants, not user text
RECENT_DAYS = 90  # the "orders in the last 90 days" window
DISCOUNT_BELOW = 0.9  # a line is "below the usual price" under 90 % of the product's median unit price
MAX_CATEGORIES = 5  # category mix: revenue shares of the store's top categories

# Columns every feature frame has (besides customer_id), the inputs of both models, and the extras per spec.
BASE_FEATURES = [
    "recency_days", "frequency", "monetary", "tenure_days", "mean_gap_days", "gap_trend", "aov",
    "basket_units", "orders_90d", "overdue_ratio", "return_share", "discount_share", "distinct_products",
]
REVIEW_FEATURES = ["n_reviews", "mean_rating"]
SENTIMENT_FEATURE = "mean_sentiment"
# Display-only columns (counts behind the shares, dates); not model inputs.
INFO_COLUMNS = ["n_orders_all", "n_returned", "first_order", "last_order"]
# Inputs of the segments but not of the churn model: tenure is capped by the start of the order log, so at the
# training cut-offs (months earlier) it spans a shorter range than at the scoring cut-off, a shift the classifier
# would have to extrapolate (dropping it raised the retail backtest AUC at both 2011-06-01 and 2011-07-01).
NOT_CHURN_INPUTS = ("tenure_days",)
LOG_FEATURES = {"recency_days", "frequency", "monetary", "tenure_days", "mean_gap_days", "aov", "basket_units",
                "orders_90d", "distinct_products", "n_reviews", "overdue_ratio"}


@dataclass(frozen=True)
class FeatureSpec:
    """Which store-dependent features exist: the top categories and whether reviews/sentiment are joined."""

    categories: tuple[str, ...] = ()
    reviews: bool = False
    sentiment: bool = False

    def feature_columns(self) -> list[str]:
        """The model inputs, in order."""
        cols = list(BASE_FEATURES) + [f"cat_{i + 1}" for i in range(len(self.categories))]
        if self.reviews:
            cols += REVIEW_FEATURES
        if self.sentiment:
            cols.append(SENTIMENT_FEATURE)
        return cols

    def churn_columns(self) -> list[str]:
        """The churn classifier's inputs: the model inputs without those that shift with the log's length."""
        return [c for c in self.feature_columns() if c not in NOT_CHURN_INPUTS]

    def to_dict(self) -> dict:
        """JSON form, stored with the model."""
        return {"categories": list(self.categories), "reviews": self.reviews, "sentiment": self.sentiment}

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureSpec":
        """Inverse of to_dict."""
        return cls(tuple(d.get("categories", ())), bool(d.get("reviews")), bool(d.get("sentiment")))


@dataclass(frozen=True)
class Availability:
    """Whether the store can be segmented at all, and the counts behind the answer."""

    ok: bool
    reason: str
    n_customers: int
    guest_orders: int
    first_order: datetime | None
    last_order: datetime | None
    # customers with a dated purchase (a line bought, not cancelled): the ones a fit scores, so the page can say
    # beforehand the number it will show afterwards (ids with only cancelled or undated orders are not scored)
    n_buyers: int = 0


def availability(store: "Store") -> Availability:
    """Customers are who the importer says they are; without any identity there is nothing to segment."""
    n_cust, guests, total, first, last, buyers = read_rows(
        store,
        "SELECT count(DISTINCT customer_id), count(DISTINCT order_id) FILTER (WHERE customer_id IS NULL), "
        "count(DISTINCT order_id), min(order_ts), max(order_ts), count(DISTINCT customer_id) FILTER (WHERE "
        "order_ts IS NOT NULL AND quantity > 0 AND coalesce(status, 'completed') <> 'cancelled') FROM orders",
    )[0]
    if not total:
        return Availability(False, "Customer segments are unavailable because no orders have been uploaded yet.",
                            0, 0, None, None)
    if not n_cust:
        return Availability(
            False,
            f"Customer segments are unavailable because none of the {total:,} orders carries a customer identity "
            "(this export has no customer id, e-mail or buyer id), so customers cannot be told apart.",
            0, int(guests), first, last)
    return Availability(True, "", int(n_cust), int(guests), first, last, int(buyers))


def feature_spec(store: "Store", cutoff: datetime) -> FeatureSpec:
    """Pick the store-dependent features from the data before `cutoff` (fixed afterwards, for every cut-off)."""
    cats = read_rows(
        store,
        "SELECT category FROM orders WHERE customer_id IS NOT NULL AND category IS NOT NULL AND order_ts < ? "
        "AND quantity > 0 GROUP BY category ORDER BY sum(revenue) DESC, category LIMIT ?",
        [cutoff, MAX_CATEGORIES],
    )
    categories = tuple(str(r[0]) for r in cats) if len(cats) >= 2 else ()
    n_rev = read_rows(
        store,
        "SELECT count(*) FROM reviews r WHERE r.customer_id IS NOT NULL "
        "AND r.customer_id IN (SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL)",
    )[0][0]
    n_sent = read_rows(
        store,
        "SELECT count(*) FROM reviews r JOIN review_sentiment s USING (review_id) WHERE r.customer_id IS NOT NULL",
    )[0][0] if n_rev else 0
    return FeatureSpec(categories, bool(n_rev), bool(n_sent))


_SQL = f"""
WITH lines AS (
    -- money and units as exact decimals: DuckDB sums doubles in parallel in no fixed order, decimals exactly
    SELECT customer_id, order_id, order_ts, product_id, category, quantity::DECIMAL(18, 4) AS quantity, unit_price,
           revenue::DECIMAL(18, 4) AS revenue, coalesce(status, 'completed') AS status
    FROM orders WHERE customer_id IS NOT NULL AND order_ts < $cutoff
),
usual AS (  -- each product's usual (median) unit price before the cut-off, over every buyer
    SELECT product_id, median(unit_price) AS usual_price FROM orders
    WHERE order_ts < $cutoff AND quantity > 0 AND unit_price > 0 GROUP BY product_id
),
per_order AS (
    SELECT customer_id, order_id, min(order_ts) AS ts,
           bool_or(quantity > 0 AND status <> 'cancelled') AS is_purchase,
           bool_or(status IN {_BAD} OR quantity < 0) AS is_returned,
           sum(quantity) FILTER (WHERE quantity > 0 AND status <> 'cancelled') AS units,
           sum(revenue) FILTER (WHERE quantity > 0 AND status <> 'cancelled') AS value
    FROM lines GROUP BY customer_id, order_id
),
purchases AS (SELECT * FROM per_order WHERE is_purchase),
gaps AS (
    SELECT customer_id, date_diff('second', lag(ts) OVER w, ts) / 86400.0 AS gap,
           row_number() OVER w AS k
    FROM purchases WINDOW w AS (PARTITION BY customer_id ORDER BY ts, order_id)
),
trend AS (
    SELECT customer_id, regr_slope(gap, k) AS gap_trend FROM gaps WHERE gap IS NOT NULL GROUP BY customer_id
),
agg AS (
    SELECT customer_id, count(*) AS frequency, min(ts) AS first_order, max(ts) AS last_order,
           coalesce(sum(value), 0) AS monetary, avg(coalesce(units, 0)) AS basket_units,
           count(*) FILTER (WHERE ts >= $cutoff - INTERVAL {RECENT_DAYS} DAY) AS orders_90d
    FROM purchases GROUP BY customer_id
),
returns AS (
    SELECT customer_id, count(*) AS n_orders_all, count(*) FILTER (WHERE is_returned) AS n_returned
    FROM per_order GROUP BY customer_id
),
line_stats AS (
    SELECT l.customer_id, count(DISTINCT l.product_id) AS distinct_products,
           avg(CASE WHEN u.usual_price > 0 AND l.unit_price < {DISCOUNT_BELOW} * u.usual_price THEN 1.0 ELSE 0.0 END)
               AS discount_share
    FROM lines l LEFT JOIN usual u USING (product_id)
    WHERE l.quantity > 0 AND l.status <> 'cancelled' GROUP BY l.customer_id
),
cats AS (
    SELECT customer_id, {{cat_cols}}
    FROM lines WHERE quantity > 0 AND status <> 'cancelled' GROUP BY customer_id
)
SELECT a.customer_id,
       date_diff('second', a.last_order, $cutoff) / 86400.0 AS recency_days,
       a.frequency::DOUBLE AS frequency,
       a.monetary::DOUBLE AS monetary,
       date_diff('second', a.first_order, $cutoff) / 86400.0 AS tenure_days,
       CASE WHEN a.frequency > 1
            THEN date_diff('second', a.first_order, a.last_order) / 86400.0 / (a.frequency - 1) END AS mean_gap_days,
       t.gap_trend,
       a.monetary::DOUBLE / a.frequency AS aov,
       a.basket_units::DOUBLE AS basket_units,
       a.orders_90d::DOUBLE AS orders_90d,
       NULL::DOUBLE AS overdue_ratio,
       r.n_returned::DOUBLE / r.n_orders_all AS return_share,
       coalesce(s.discount_share, 0) AS discount_share,
       coalesce(s.distinct_products, 0)::DOUBLE AS distinct_products,
       {{cat_select}}
       r.n_orders_all, r.n_returned, a.first_order, a.last_order
FROM agg a JOIN returns r USING (customer_id)
LEFT JOIN trend t USING (customer_id)
LEFT JOIN line_stats s USING (customer_id)
LEFT JOIN cats c USING (customer_id)
ORDER BY a.customer_id
"""

_REVIEWS_SQL = """
SELECT r.customer_id, count(*)::DOUBLE AS n_reviews, avg(r.rating) AS mean_rating,
       avg(s.p_positive - s.p_negative) AS mean_sentiment
FROM reviews r LEFT JOIN review_sentiment s USING (review_id)
WHERE r.customer_id IS NOT NULL AND (r.review_ts < $cutoff OR r.review_ts IS NULL)
GROUP BY r.customer_id
"""


def customer_features(store: "Store", cutoff: datetime | None = None,
                      spec: FeatureSpec | None = None) -> "pd.DataFrame":
    """One row per identified customer with a purchase before `cutoff` (default: just after the last order).

    Days are fractional. `mean_gap_days` is NULL for one-order customers and `gap_trend` (days per order; > 0:
    orders drift apart) for fewer than three; `overdue_ratio` is recency over the usual gap (the store's median
    gap for one-order customers). The frame's attrs hold the cut-off, the spec and the guest order count.
    """
    if cutoff is None:
        last = read_rows(store, "SELECT max(order_ts) FROM orders")[0][0]
        cutoff = (last or datetime(1970, 1, 1)) + timedelta(seconds=1)
    spec = spec or feature_spec(store, cutoff)
    params: dict[str, object] = {"cutoff": cutoff}
    if spec.categories:
        cat_cols, cat_select = [], []
        for i, cat in enumerate(spec.categories):
            params[f"c{i}"] = cat
            cat_cols.append(f"(sum(revenue) FILTER (WHERE category = $c{i}))::DOUBLE "
                            f"/ nullif(sum(revenue), 0)::DOUBLE AS cat_{i + 1}")
            cat_select.append(f"coalesce(c.cat_{i + 1}, 0) AS cat_{i + 1},")
        sql = _SQL.replace("{cat_cols}", ", ".join(cat_cols)).replace("{cat_select}", " ".join(cat_select))
    else:
        sql = _SQL.replace("{cat_cols}", "NULL AS none").replace("{cat_select}", "")
    cur = store.cursor()
    try:
        df = cur.execute(sql, params).df()
        guests = cur.execute(
            "SELECT count(DISTINCT order_id) FROM orders WHERE customer_id IS NULL AND order_ts < ?", [cutoff]
        ).fetchone()[0]
        if spec.reviews:
            rev = cur.execute(_REVIEWS_SQL, {"cutoff": cutoff}).df()
        else:
            rev = None
    finally:
        cur.close()
    if rev is not None:
        df = df.merge(rev, on="customer_id", how="left")
        df["n_reviews"] = df["n_reviews"].fillna(0.0)
        if not spec.sentiment:
            df = df.drop(columns=["mean_sentiment"])
    gap = df["mean_gap_days"].to_numpy(dtype=float)
    typical = float(np.nanmedian(gap)) if np.isfinite(gap).any() else np.nan
    usual = np.where(np.isfinite(gap), gap, typical)
    df["overdue_ratio"] = df["recency_days"] / np.maximum(usual, 1.0) if np.isfinite(typical) else np.nan
    df["customer_id"] = df["customer_id"].astype(str)
    df = df[["customer_id", *spec.feature_columns(), *INFO_COLUMNS]].reset_index(drop=True)
    # the few float aggregates left (gap trend) vary in their last bits between runs: round them away
    feats = spec.feature_columns()
    df[feats] = df[feats].astype(float).round(6)
    df.attrs.update({"cutoff": cutoff, "spec": spec.to_dict(), "guest_orders": int(guests)})
    return df


def churn_labels(store: "Store", cutoff: datetime, horizon_days: int, customers: "pd.Series") -> np.ndarray:
    """1 for each customer with no purchase in [cutoff, cutoff + horizon), else 0 (what the risk predicts)."""
    rows = read_df(
        store,
        "SELECT DISTINCT customer_id FROM orders WHERE customer_id IS NOT NULL AND order_ts >= ? "
        "AND order_ts < ? + to_days(?) AND quantity > 0 AND coalesce(status, 'completed') <> 'cancelled'",
        [cutoff, cutoff, int(horizon_days)],
    )
    bought = set(rows["customer_id"].astype(str))
    return np.array([0 if c in bought else 1 for c in customers.astype(str)], dtype=np.int64)
