"""Settings of a segments fit and the data thresholds below which a model would not be trustworthy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

# Below MIN_SEGMENT_CUSTOMERS a clustering describes individuals, not groups: only the RFM view is shown.
MIN_SEGMENT_CUSTOMERS = 30
# Churn risk needs, at the backtest cut-off, MIN_CHURN_CUSTOMERS customers and MIN_CLASS_CUSTOMERS on each side
# (bought again / did not): with 200 customers the standard error of an AUC near 0.75 is about 0.035, so a
# smaller test could not tell a useful model from a single RFM signal; 30 per class keeps the Brier score and the
# reliability bins from resting on a handful of people.
MIN_CHURN_CUSTOMERS = 200
MIN_CLASS_CUSTOMERS = 30
# History: features need MIN_HISTORY_DAYS before the first training cut-off, and training, calibration and
# backtest each need a full horizon after their cut-off, so churn needs 2 x horizon + MIN_HISTORY_DAYS of orders.
MIN_HISTORY_DAYS = 60
# "auto" calibration: isotonic from this many calibration customers, Platt below. Isotonic steps tie customers the
# classifier ranks apart and overfit a few thousand rows: on the retail log (about 2,000 calibration customers)
# Platt gave a higher AUC and a lower Brier score and calibration error at both backtest cut-offs tried.
ISOTONIC_MIN_CUSTOMERS = 5000


@dataclass
class SegmentConfig:
    """Everything a fit depends on; a fixed `seed` gives identical segments and risks."""

    seed: int = 0
    horizon_days: int = 90  # churn = no purchase within this many days
    as_of: datetime | None = None  # score date (default: just after the last order)
    backtest_cutoff: datetime | None = None  # default: as_of - horizon (latest cut-off with a full outcome)
    cutoff_step_days: int = 7  # spacing of the past training cut-offs (weekly: twice the rows of 15 days)
    max_train_cutoffs: int = 16
    min_history_days: int = MIN_HISTORY_DAYS
    min_segment_customers: int = MIN_SEGMENT_CUSTOMERS
    min_churn_customers: int = MIN_CHURN_CUSTOMERS
    min_class_customers: int = MIN_CLASS_CUSTOMERS
    k_range: tuple[int, int] = (3, 8)
    cluster_method: str = "kmeans"  # "kmeans" (k by silhouette) or "gmm" (k by BIC)
    embed_dim: int = 6
    ae_hidden: int = 32
    ae_steps: int = 800  # optimiser steps (not epochs), so a small shop trains as long as a big one
    clf_hidden: int = 16
    clf_steps: int = 300
    batch_size: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-4
    calibration: str = "auto"  # "isotonic", "platt" or "auto" (isotonic from ISOTONIC_MIN_CUSTOMERS)
    explain_sample: int = 200  # customers in the faithfulness check
    device: str = "auto"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form recorded with the model."""
        d = asdict(self)
        for key in ("as_of", "backtest_cutoff"):
            d[key] = None if d[key] is None else d[key].isoformat()
        d["k_range"] = list(self.k_range)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SegmentConfig":
        """Inverse of to_dict; settings this version does not know (written by another one) are ignored."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        for key in ("as_of", "backtest_cutoff"):
            if d.get(key):
                d[key] = datetime.fromisoformat(d[key])
        d["k_range"] = tuple(d.get("k_range", (3, 8)))
        return cls(**d)

    def calibration_method(self, n_customers: int) -> str:
        """The calibration to fit on `n_customers` calibration rows ("auto" resolved)."""
        if self.calibration != "auto":
            return self.calibration
        return "isotonic" if n_customers >= ISOTONIC_MIN_CUSTOMERS else "platt"

    def validate(self) -> None:
        """Reject settings that cannot work, with the reason (validation at the boundary)."""
        lo, hi = self.k_range
        if not 2 <= lo <= hi:
            raise ValueError(f"k_range must satisfy 2 <= low <= high, got {self.k_range}")
        if self.horizon_days < 1 or self.cutoff_step_days < 1:
            raise ValueError("horizon_days and cutoff_step_days must be positive")
        if self.cluster_method not in ("kmeans", "gmm"):
            raise ValueError(f"cluster_method must be 'kmeans' or 'gmm', got {self.cluster_method!r}")
        if self.calibration not in ("auto", "isotonic", "platt"):
            raise ValueError(f"calibration must be 'auto', 'isotonic' or 'platt', got {self.calibration!r}")
