"""Customer segments and churn risk: who the customers are (learned segments with plain names, RFM reference),
who is about to stop buying (calibrated, backtested against RFM baselines) and why, per customer."""

from ._config import MIN_CHURN_CUSTOMERS, MIN_CLASS_CUSTOMERS, MIN_HISTORY_DAYS, MIN_SEGMENT_CUSTOMERS, SegmentConfig
from ._export import CSV_COLUMNS, export_table, segment_csv_bytes, write_segment_csv
from ._features import Availability, FeatureSpec, availability, churn_labels, customer_features, feature_spec
from ._model import FAMILY, PREDICT_COLUMNS, REGISTRY, SegmentsModel, train
from ._rfm import RFM_SEGMENTS, quintile_score, rfm_scores
from ._summary import (
    RISK_BANDS,
    SUMMARY_COLUMNS,
    customer_orders,
    customer_reviews,
    previous_assignment,
    risk_band,
    segment_summary,
)

__all__ = [
    "FAMILY",
    "REGISTRY",
    "SegmentsModel",
    "SegmentConfig",
    "train",
    "PREDICT_COLUMNS",
    "Availability",
    "availability",
    "FeatureSpec",
    "feature_spec",
    "customer_features",
    "churn_labels",
    "rfm_scores",
    "quintile_score",
    "RFM_SEGMENTS",
    "CSV_COLUMNS",
    "export_table",
    "RISK_BANDS",
    "SUMMARY_COLUMNS",
    "risk_band",
    "segment_summary",
    "previous_assignment",
    "customer_orders",
    "customer_reviews",
    "write_segment_csv",
    "segment_csv_bytes",
    "MIN_SEGMENT_CUSTOMERS",
    "MIN_CHURN_CUSTOMERS",
    "MIN_CLASS_CUSTOMERS",
    "MIN_HISTORY_DAYS",
]
