"""The segment CSV of the contract (`customer_id, segment, churn_risk, recency, frequency, monetary` plus the RFM
segment and the reasons), written formula-injection safe because merchants open it in spreadsheets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from engine.store import safe_csv_bytes, write_safe_csv

if TYPE_CHECKING:
    import pandas as pd

CSV_COLUMNS = ["customer_id", "segment", "churn_risk", "recency", "frequency", "monetary", "rfm_segment", "reasons"]


def export_table(customers: "pd.DataFrame") -> "pd.DataFrame":
    """The contract's columns from a model's scored customers (risk empty when no risk model exists)."""
    import pandas as pd

    def sentences(raw: object) -> str:
        try:
            why = json.loads(raw) if isinstance(raw, str) else []
            return "; ".join(f"{r['sentence']} ({r['direction']})" for r in why)
        except (ValueError, KeyError, TypeError):
            return ""

    return pd.DataFrame({
        "customer_id": customers["customer_id"].astype(str),
        "segment": customers["segment"],
        "churn_risk": customers["churn_risk"].round(4),
        "recency": customers["recency_days"].round(1),
        "frequency": customers["frequency"].astype(int),
        "monetary": customers["monetary"].round(2),
        "rfm_segment": customers["rfm_segment"],
        "reasons": customers["reasons"].map(sentences) if "reasons" in customers else "",
    })[CSV_COLUMNS]


def write_segment_csv(customers: "pd.DataFrame", path: str | Path) -> Path:
    """Write the segment table (or any subset of it: one segment, one risk band) as a formula-safe CSV."""
    return write_safe_csv(customers if list(customers.columns) == CSV_COLUMNS else export_table(customers), path)


def segment_csv_bytes(customers: "pd.DataFrame") -> bytes:
    """The same table as formula-safe CSV bytes, for the page's download buttons."""
    return safe_csv_bytes(customers if list(customers.columns) == CSV_COLUMNS else export_table(customers))
