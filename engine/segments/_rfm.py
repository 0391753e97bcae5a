"""The familiar RFM reference view: 1-5 quintile scores and the named segments merchants know from Shopify's
report, computed from the same features so both views describe the same customers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# (name, description, rule on R and F scores); the first rule that matches names the customer.
RFM_SEGMENTS: list[tuple[str, str, Callable[[int, int], bool]]] = [
    ("Champions", "bought recently, buy often and spend the most", lambda r, f: r >= 5 and f >= 4),
    ("Loyal", "buy regularly and respond to the store", lambda r, f: r >= 3 and f >= 4),
    ("Can't lose", "used to buy often, have not come back for a long time", lambda r, f: r <= 2 and f >= 5),
    ("At risk", "bought often, but long ago", lambda r, f: r <= 2 and f >= 3),
    ("Potential loyalists", "recent customers with a few orders", lambda r, f: r >= 4 and f >= 2),
    ("New customers", "first order very recently", lambda r, f: r >= 5 and f <= 1),
    ("Promising", "recent first-time buyers", lambda r, f: r >= 4 and f <= 1),
    ("Need attention", "middling recency and frequency", lambda r, f: r == 3 and f == 3),
    ("About to sleep", "below-average recency and frequency", lambda r, f: r == 3 and f <= 2),
    ("Lost", "lowest recency and frequency", lambda r, f: r <= 1 and f <= 1),
    ("Hibernating", "last order long ago, few orders", lambda r, f: r <= 2 and f <= 2),
]


def quintile_score(values: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """1-5 by percentile rank, ties sharing a score (so the many one-order customers get one F score)."""
    import pandas as pd

    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    pct = pd.Series(v if higher_is_better else -v).rank(pct=True, method="average").to_numpy()
    return np.clip(np.ceil(pct * 5), 1, 5).astype(np.int64)


def rfm_scores(features: "pd.DataFrame") -> "pd.DataFrame":
    """R, F, M scores and the RFM segment per customer (R: recent = 5; F, M: more = 5)."""
    import pandas as pd

    r = quintile_score(features["recency_days"].to_numpy(), higher_is_better=False)
    f = quintile_score(features["frequency"].to_numpy())
    m = quintile_score(features["monetary"].to_numpy())
    names = [_segment_of(int(a), int(b)) for a, b in zip(r, f)]
    return pd.DataFrame({"customer_id": features["customer_id"].to_numpy(), "r_score": r, "f_score": f,
                         "m_score": m, "rfm_segment": names})


def _segment_of(r: int, f: int) -> str:
    """The first RFM rule that matches (every (r, f) pair matches one)."""
    for name, _, rule in RFM_SEGMENTS:
        if rule(r, f):
            return name
    return "Hibernating"


RFM_DESCRIPTIONS = {name: desc for name, desc, _ in RFM_SEGMENTS}
