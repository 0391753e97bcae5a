"""What the Customers pages and the CLI show about a fitted model: the segment table with its change since the
previous period, risk bands, and one customer's orders and reviews (the SQL stays in the engine)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from engine.store import read_df

from ._features import customer_features

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

    from ._model import SegmentsModel

# Risk bands a merchant acts on (win-back e-mails for "high"); edges are probabilities of no purchase in the horizon.
RISK_BANDS: dict[str, tuple[float, float]] = {"low": (0.0, 0.3), "medium": (0.3, 0.6), "high": (0.6, 1.0001)}
SUMMARY_COLUMNS = ["segment", "customers", "revenue_share", "aov", "mean_churn_risk", "previous_customers",
                   "change"]


def risk_band(risk: "pd.Series") -> "pd.Series":
    """'low', 'medium', 'high' per customer ('' where no risk is shown)."""
    import pandas as pd

    out = pd.Series("", index=risk.index, dtype=object)
    for name, (lo, hi) in RISK_BANDS.items():
        out[(risk >= lo) & (risk < hi)] = name
    return out


def previous_assignment(store: "Store", model: "SegmentsModel", days: int = 90) -> "pd.DataFrame":
    """The model's segments for the customers as they were `days` before its score date (for the change column)."""
    import pandas as pd

    as_of = pd.Timestamp(model.metrics["as_of"]).to_pydatetime()
    feats = customer_features(store, as_of - timedelta(days=days), model.spec)
    if feats.empty:
        return pd.DataFrame(columns=["customer_id", "segment"])
    return model.predict(feats)[["customer_id", "segment"]]


def segment_summary(customers: "pd.DataFrame", previous: "pd.DataFrame | None" = None,
                    names: list[str] | None = None) -> "pd.DataFrame":
    """Per segment: customers, revenue share, average order value, mean churn risk and the change in size."""
    import pandas as pd

    total = float(customers["monetary"].sum()) or 1.0
    order = names or list(dict.fromkeys(customers["segment"]))
    prev_counts = previous["segment"].value_counts() if previous is not None else pd.Series(dtype=float)
    rows = []
    for name in order:
        part = customers[customers["segment"] == name]
        orders = float(part["frequency"].sum())
        risk = part["churn_risk"].to_numpy(dtype=float)
        prev = int(prev_counts.get(name, 0)) if previous is not None else None
        rows.append({
            "segment": name, "customers": int(len(part)), "revenue_share": float(part["monetary"].sum()) / total,
            "aov": float(part["monetary"].sum()) / orders if orders else np.nan,
            "mean_churn_risk": float(np.nanmean(risk)) if np.isfinite(risk).any() else np.nan,
            "previous_customers": prev, "change": None if prev is None else int(len(part)) - prev,
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def customer_orders(store: "Store", customer_id: str, limit: int = 200) -> "pd.DataFrame":
    """One customer's orders, newest first (one row per order, with its lines summed)."""
    return read_df(
        store,
        "SELECT order_id, min(order_ts) AS ordered_at, count(*) AS lines, sum(quantity) AS units, "
        "sum(revenue) AS revenue, string_agg(DISTINCT coalesce(status, 'completed'), ', ') AS status "
        "FROM orders WHERE customer_id = ? GROUP BY order_id ORDER BY ordered_at DESC, order_id LIMIT ?",
        [str(customer_id), int(limit)],
    )


def customer_reviews(store: "Store", customer_id: str, limit: int = 50) -> "pd.DataFrame":
    """One customer's reviews with the model's sentiment where scored, newest first."""
    return read_df(
        store,
        "SELECT r.review_ts, r.product_name, r.rating, r.title, r.text, s.label AS sentiment "
        "FROM reviews r LEFT JOIN review_sentiment s USING (review_id) WHERE r.customer_id = ? "
        "ORDER BY r.review_ts DESC NULLS LAST, r.review_id LIMIT ?",
        [str(customer_id), int(limit)],
    )
