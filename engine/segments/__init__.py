"""Customer segments and churn risk: who the customers are (learned segments with plain names, RFM reference),
who is about to stop buying (calibrated, backtested against RFM baselines) and why, per customer."""

from ._config import MIN_CHURN_CUSTOMERS, MIN_CLASS_CUSTOMERS, MIN_HISTORY_DAYS, MIN_SEGMENT_CUSTOMERS, SegmentConfig
from ._features import Availability, FeatureSpec, availability, churn_labels, customer_features, feature_spec
from ._model import FAMILY, PREDICT_COLUMNS, REGISTRY, SegmentsModel, train
from ._export import CSV_COLUMNS, segment_table, write_segment_csv
from ._rfm import RFM_SEGMENTS, quintile_score, rfm_scores

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
    "segment_table",
    "write_segment_csv",
    "MIN_SEGMENT_CUSTOMERS",
    "MIN_CHURN_CUSTOMERS",
    "MIN_CLASS_CUSTOMERS",
    "MIN_HISTORY_DAYS",
]
